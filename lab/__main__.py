"""``python -m lab`` is ``chaoslab``."""

from lab.cli import main

main()
