"""Backend commands: `fodi seed-demo` and `fodi user create` (placeholders until issue 2 lands)."""

from __future__ import annotations

import typer

user_app = typer.Typer(help="Manage people's accounts.", no_args_is_help=True)


def seed_demo() -> None:
    """Load the demo menu, stock and admin (once)."""
    raise typer.Exit(1)
