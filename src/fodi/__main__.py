"""`python -m fodi` is the `fodi` command."""

from fodi.cli import main

main()
