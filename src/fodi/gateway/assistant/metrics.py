"""The assistant's Prometheus metrics (the original's names, actually recorded here)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

AI_REQUESTS = Counter("ai_requests_total", "Messages the assistant answered.")
AI_INTENT_INVOCATIONS = Counter(
    "ai_intent_invocations_total", "Messages the assistant answered, by intent.", ["intent"]
)
AI_INTENT_RESPONSE_TIME = Histogram(
    "ai_intent_response_time_seconds",
    "Time to answer a message, by intent.",
    ["intent"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
AI_LLM_CALLS = Counter(
    "ai_llm_requests_total", "Questions handed to the language model, by outcome.", ["outcome"]
)


def record(intent: str, seconds: float) -> None:
    AI_REQUESTS.inc()
    AI_INTENT_INVOCATIONS.labels(intent).inc()
    AI_INTENT_RESPONSE_TIME.labels(intent).observe(seconds)
