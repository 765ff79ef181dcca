"""``python -m chaoslab`` is ``chaoslab``."""

from chaoslab.cli import main

main()
