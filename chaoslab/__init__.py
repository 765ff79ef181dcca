"""The top of the house: the ``chaoslab`` command line and the experiment runner.

Nothing else in the project imports this package (an import-linter contract says so): the
stack, servers and fault clients below it (``lab``), the scenarios, the load generator
(``loadtests``) and the reports (``reports``) are parts it puts together.
"""

from lab import __version__

__all__ = ["__version__"]
