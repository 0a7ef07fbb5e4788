"""Small helpers every CLI command group shares."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from a synchronous typer command."""
    return asyncio.run(coroutine)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error on stderr and exit with ``code`` (scripts can trust the exit status)."""
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)
