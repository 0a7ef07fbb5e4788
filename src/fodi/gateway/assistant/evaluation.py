"""The labelled utterances shipped with the assistant, and how well the rules classify them."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources

from fodi.gateway.assistant.intents import classify


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    lang: str
    split: str


@dataclass(slots=True)
class Report:
    total: int = 0
    correct: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[tuple[Example, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def load_examples() -> list[Example]:
    text = resources.files("fodi.gateway.assistant").joinpath("eval.jsonl").read_text("utf-8")
    return [Example(**json.loads(line)) for line in text.splitlines() if line.strip()]


def evaluate(examples: list[Example]) -> Report:
    report = Report()
    for example in examples:
        predicted = classify(example.text).intent.value
        report.total += 1
        report.confusion[(example.intent, predicted)] += 1
        if predicted == example.intent:
            report.correct += 1
        else:
            report.misses.append((example, predicted))
    return report
