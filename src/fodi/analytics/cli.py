"""`fodi analytics` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="The analytics service.", no_args_is_help=True)
