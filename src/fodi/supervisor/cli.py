"""`fodi up` and `fodi ctl` (placeholders until the supervisor issue lands)."""

from __future__ import annotations

import typer

ctl_app = typer.Typer(help="Control the supervised services.", no_args_is_help=True)


def up() -> None:
    """Start the whole platform."""
    raise typer.Exit(1)
