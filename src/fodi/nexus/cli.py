"""`fodi nexus` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="The nexus service.", no_args_is_help=True)
