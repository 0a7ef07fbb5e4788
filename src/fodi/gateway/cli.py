"""Gateway commands: ``fodi gateway eval`` (the assistant's intent accuracy)."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="The gateway: bot API, WebSocket and assistant.", no_args_is_help=True)


@app.callback()
def gateway() -> None:
    """The gateway: bot API, WebSocket and assistant."""


@app.command("eval")
def evaluate_intents(
    split: Annotated[
        str, typer.Option(help="dev (tuned on), heldout (never tuned on), or all")
    ] = "all",
    show_misses: Annotated[bool, typer.Option(help="List the misclassified utterances")] = False,
    min_accuracy: Annotated[
        float, typer.Option(help="Exit 1 when the accuracy is below this (0-1)")
    ] = 0.0,
) -> None:
    """Classify the shipped labelled utterances offline; print accuracy and a confusion table."""
    from rich.table import Table

    from fodi.core.cli_support import console
    from fodi.gateway.assistant.evaluation import evaluate, load_examples

    examples = load_examples()
    if split not in ("dev", "heldout", "all"):
        raise typer.BadParameter("split must be dev, heldout or all")
    summary = Table(title="Intent accuracy (offline rules)")
    for column in ("split", "utterances", "correct", "accuracy"):
        summary.add_column(column, justify="left" if column == "split" else "right")
    chosen = ("dev", "heldout") if split == "all" else (split,)
    for name in (*chosen, "all") if split == "all" else chosen:
        subset = [e for e in examples if name == "all" or e.split == name]
        result = evaluate(subset)
        summary.add_row(name, str(result.total), str(result.correct), f"{result.accuracy:.1%}")
    console.print(summary)

    selected = [e for e in examples if split == "all" or e.split == split]
    report = evaluate(selected)
    labels = sorted({e.intent for e in selected} | {p for (_, p) in report.confusion})
    confusion = Table(title="Confusion (rows: expected, columns: predicted)")
    confusion.add_column("expected \\ predicted")
    for label in labels:
        confusion.add_column(label[:6], justify="right")
    for expected in labels:
        cells = [report.confusion.get((expected, p), 0) for p in labels]
        confusion.add_row(
            expected,
            *(
                f"[bold]{n}[/]" if p == expected and n else (f"[red]{n}[/]" if n else "·")
                for n, p in zip(cells, labels, strict=True)
            ),
        )
    console.print(confusion)
    if show_misses:
        for example, predicted in report.misses:
            console.print(f"[red]{example.intent} → {predicted}[/]  {example.text}")
    if report.accuracy < min_accuracy:
        raise typer.Exit(1)
