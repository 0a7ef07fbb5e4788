"""Natural-language admin commands: the original's admin assistant, acting for real.

"restart the backend", "статус системы", "покажи метрики": the rules follow the original
(seed-contracts §2.3, checked in its order) and act through the supervisor hosted by the
gateway (``app.state.supervisor``, None when the orchestrator is disabled) and the process's
Prometheus registry.  Intent names keep the original's form (``BackendControl(Restart)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import REGISTRY

from fodi.gateway.assistant.text import has_any, normalize, tokens

NO_ORCHESTRATOR = "⚠️ Backend orchestrator не настроен. Включите его в конфигурации."


class ProgramStatus(Protocol):
    state: Any
    pid: int | None
    uptime_secs: float | None
    restart_count: int
    last_health_check: Any


class SupervisorLike(Protocol):
    def names(self) -> Any: ...
    async def start(self, name: str) -> Any: ...
    async def stop(self, name: str) -> Any: ...
    async def restart(self, name: str, *, wait_healthy: bool = False) -> Any: ...
    def status(self, name: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class AdminReply:
    response: str
    intent: str

    def to_json(self) -> dict[str, str]:
        return {"response": self.response, "intent": self.intent}


def classify_admin(text: str) -> tuple[str, str | None]:
    """(intent, sub-kind) by the original's rules, in its order."""
    w = tokens(normalize(text))
    backend_words = ("backend", "бэкенд", "бекенд", "сервер", "server", "сервис", "service",
                     "nexus", "analytics", "franchise")  # fmt: skip
    if has_any(w, ("перезапус~", "рестарт", "restart", "reboot")):
        return "BackendControl", "Restart"
    if has_any(w, ("запусти", "запуск", "start")) and has_any(w, backend_words):
        return "BackendControl", "Start"
    if has_any(w, ("останови", "выключи", "stop", "shut down")):
        return "BackendControl", "Stop"
    if has_any(w, ("статус", "status", "state")) and has_any(w, backend_words):
        return "BackendControl", "Status"
    if (
        (has_any(w, ("статус", "status")) and has_any(w, ("систем~", "system")))
        or has_any(w, ("как дела", "все ок", "health check", "health"))
    ):  # fmt: skip
        return "SystemStatus", None
    if has_any(w, ("метрик~", "статистик~", "аналитик~", "metric~", "stats")):
        if has_any(w, ("интент~", "intent~")):
            return "MetricsQuery", "Intents"
        if has_any(w, ("время", "производительност~", "response time", "latency")):
            return "MetricsQuery", "ResponseTimes"
        if has_any(w, ("все", "полн~", "all", "full")):
            return "MetricsQuery", "All"
        return "MetricsQuery", "Dashboard"
    if has_any(w, ("сколько", "количеств~", "how many")) and has_any(
        w, ("пользовател~", "подключен~", "онлайн", "online", "connect~", "users")
    ):
        return "ConnectionInfo", None
    if has_any(w, ("ai", "аи", "ии")) and has_any(w, ("работа~", "здоров~", "провер~", "check")):
        return "AIHealth", None
    if has_any(w, ("лог", "логи", "logs", "ошибк~", "error~", "warning~", "предупрежден~")):
        if has_any(w, ("предупрежден~", "warning~")):
            return "LogsRequest", "Warnings"
        if has_any(w, ("ошибк~", "error~")):
            return "LogsRequest", "Errors"
        return "LogsRequest", "All"
    if has_any(w, ("производительност~", "performance")):
        return "Performance", None
    return "Unknown", None


def _target(text: str, names: list[str]) -> str:
    """Which program a command means: one named in the text, else the backend."""
    words = tokens(normalize(text))
    for name in names:
        if name in words:
            return name
    return "backend" if "backend" in names or not names else names[0]


def _metric_totals(name: str, label: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for family in REGISTRY.collect():
        for sample in family.samples:
            if sample.name == name:
                key = sample.labels.get(label, "")
                totals[key] = totals.get(key, 0.0) + sample.value
    return totals


def _status_line(name: str, status: Any) -> str:
    state = getattr(status, "state", "unknown")
    state = getattr(state, "value", state)
    uptime = getattr(status, "uptime_secs", None)
    uptime_text = f", uptime {int(uptime)}s" if uptime else ""
    return (
        f"• {name}: {state} (pid {getattr(status, 'pid', None)}{uptime_text}, "
        f"restarts {getattr(status, 'restart_count', 0)}, "
        f"health {getattr(status, 'last_health_check', 'unknown')})"
    )


class AdminAssistant:
    def __init__(
        self,
        supervisor: SupervisorLike | None,
        *,
        connections: Callable[[], int] = lambda: 0,
        llm_configured: bool = False,
    ) -> None:
        self.supervisor = supervisor
        self.connections = connections
        self.llm_configured = llm_configured

    async def handle(self, text: str) -> AdminReply:
        intent, kind = classify_admin(text)
        label = f"{intent}({kind})" if kind else intent
        if intent == "BackendControl":
            return AdminReply(await self._control(kind or "Status", text), label)
        if intent == "SystemStatus":
            return AdminReply(self._system(), label)
        if intent in ("MetricsQuery", "Performance"):
            return AdminReply(self._metrics(kind or "ResponseTimes"), label)
        if intent == "ConnectionInfo":
            return AdminReply(f"🔌 Подключений WebSocket: {self.connections()}", label)
        if intent == "AIHealth":
            mode = "LLM + правила" if self.llm_configured else "офлайн-правила"
            return AdminReply(f"🤖 Ассистент работает ({mode}).", label)
        if intent == "LogsRequest":
            return AdminReply(
                "📜 Логи программ: GET /api/v1/admin/services/{name}/logs "
                "или `fodi ctl logs NAME`.",
                label,
            )
        return AdminReply(
            "🤔 Команда не распознана. Примеры: «перезапусти бэкенд», «статус системы», "
            "«покажи метрики».",
            f'Unknown("{text[:100]}")',
        )

    async def _control(self, action: str, text: str) -> str:
        if self.supervisor is None:
            return NO_ORCHESTRATOR
        names = list(self.supervisor.names())
        name = _target(text, names)
        if name not in names:
            return f"⚠️ Нет программы {name!r}."
        try:
            if action == "Restart":
                await self.supervisor.restart(name, wait_healthy=True)
                verb = "перезапущен"
            elif action == "Start":
                await self.supervisor.start(name)
                verb = "запущен"
            elif action == "Stop":
                await self.supervisor.stop(name)
                verb = "остановлен"
            else:
                return _status_line(name, self.supervisor.status(name))
        except Exception as exc:  # the supervisor's own errors, reported to the admin
            return f"❌ {name}: {exc}"
        return f"✅ {name} {verb}.\n{_status_line(name, self.supervisor.status(name))}"

    def _system(self) -> str:
        lines = ["🖥 Статус системы:"]
        if self.supervisor is None:
            lines.append("• оркестратор выключен (ORCHESTRATOR_ENABLED=false)")
        else:
            lines += [_status_line(n, self.supervisor.status(n)) for n in self.supervisor.names()]
        lines.append(f"• WebSocket-подключений: {self.connections()}")
        return "\n".join(lines)

    def _metrics(self, kind: str) -> str:
        counts = _metric_totals("ai_intent_invocations_total", "intent")
        time_sums = _metric_totals("ai_intent_response_time_seconds_sum", "intent")
        requests = sum(_metric_totals("http_requests_total", "service").values())
        lines = [
            f"📈 HTTP-запросов: {int(requests)}, сообщений ассистенту: {int(sum(counts.values()))}"
        ]
        if kind in ("Intents", "All", "Dashboard"):
            top = sorted(counts.items(), key=lambda item: -item[1])[:10]
            lines += [f"• {intent}: {int(count)}" for intent, count in top]
        if kind in ("ResponseTimes", "All"):
            for intent, count in counts.items():
                if count:
                    avg_ms = time_sums.get(intent, 0.0) / count * 1000
                    lines.append(f"• {intent}: {avg_ms:.1f} мс в среднем")
        return "\n".join(lines)
