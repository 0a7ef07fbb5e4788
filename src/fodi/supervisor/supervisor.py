"""The supervisor: a set of programs started in dependency order, healed, and stopped cleanly.

Generic: it runs any command with any health URL, and knows nothing of FastAPI.  The gateway
hosts one (``app.state.supervisor``) and exposes it over REST; ``fodi up`` drives it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from pathlib import Path

from fodi.core.settings import Settings
from fodi.supervisor import metrics
from fodi.supervisor.config import ProgramConfig, dependency_order, load_programs
from fodi.supervisor.logs import ProgramLog
from fodi.supervisor.process import become_subreaper
from fodi.supervisor.program import Program, StartFailed, UnknownProgram
from fodi.supervisor.state import ProgramState, ProgramStatus

_subreaper = False


class Supervisor:
    def __init__(
        self, programs: Mapping[str, ProgramConfig] | Iterable[ProgramConfig], *, log_dir: Path
    ) -> None:
        configs = list(programs.values() if isinstance(programs, Mapping) else programs)
        by_name = {config.name: config for config in configs}
        self.log_dir = log_dir
        self._programs: dict[str, Program] = {}
        for name in dependency_order(by_name):
            config = by_name[name]
            program_log = ProgramLog(
                log_dir / f"{name}.log", max_bytes=config.log_max_bytes, backups=config.log_backups
            )
            self._programs[name] = Program(config, program_log, self.program)
        metrics.track(self)

    @classmethod
    def from_settings(cls, settings: Settings, config_file: Path | None = None) -> Supervisor:
        """Our services with the seed variables and the TOML file applied (see config.py)."""
        return cls(load_programs(settings, config_file), log_dir=settings.var_dir / "log")

    # --------------------------------------------------------------------------- queries

    def names(self) -> list[str]:
        """Program names in start-up order (each after its dependencies)."""
        return list(self._programs)

    def program(self, name: str) -> Program:
        try:
            return self._programs[name]
        except KeyError:
            raise UnknownProgram(f"no program named {name!r}") from None

    def config(self, name: str) -> ProgramConfig:
        return self.program(name).config

    def status(self, name: str) -> ProgramStatus:
        return self.program(name).status()

    def tail_log(self, name: str, lines: int) -> list[str]:
        return self.program(name).log.tail(lines)

    async def wait_healthy(self, name: str, within: float) -> bool:
        """True once ``name`` is running and healthy; False if it gives up or time runs out."""
        program = self.program(name)
        settled = {ProgramState.RUNNING, ProgramState.CRASHED, ProgramState.STOPPED}
        try:
            return await program.wait_for(settled, within) is ProgramState.RUNNING
        except TimeoutError:
            return False

    # --------------------------------------------------------------------------- commands

    async def start(self, name: str) -> ProgramStatus:
        """Start ``name`` (and its dependencies that are not up); returns once it is spawned.

        AlreadyRunning if it is; StartFailed if it cannot be spawned or a dependency gave up.
        """
        _ensure_subreaper()
        program = self.program(name)
        for dependency in self._dependencies_of(name):
            if not self._programs[dependency].active:
                await self._programs[dependency].start(f"dependency of {name}")
        await (await program.start())
        return program.status()

    async def stop(self, name: str) -> ProgramStatus:
        program = self.program(name)
        await program.stop()
        return program.status()

    async def restart(self, name: str, *, wait_healthy: bool = False) -> ProgramStatus:
        """Stop (if up) and start again; with ``wait_healthy``, return once it is healthy."""
        _ensure_subreaper()
        program = self.program(name)
        await (await program.restart())
        if wait_healthy:
            await self.wait_healthy(name, _start_budget(program.config))
        return program.status()

    async def start_all(self) -> None:
        """Start every autostart program, each after its dependencies are healthy."""
        _ensure_subreaper()
        spawned = []
        for program in self._programs.values():
            if program.config.autostart and not program.active:
                spawned.append(await program.start("autostart"))
        results = await asyncio.gather(*spawned, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, StartFailed):
                raise result

    async def stop_all(self) -> None:
        """Stop everything, dependents before their dependencies, no process left behind."""
        for level in reversed(self._levels()):
            await asyncio.gather(
                *(self._programs[name].stop("supervisor stopping") for name in level)
            )

    def close(self) -> None:
        metrics.untrack(self)
        for program in self._programs.values():
            program.log.close()

    # --------------------------------------------------------------------------- helpers

    def _dependencies_of(self, name: str) -> list[str]:
        """Every transitive dependency of ``name``, dependencies first."""
        needed: list[str] = []

        def visit(current: str) -> None:
            for dependency in self._programs[current].config.depends_on:
                visit(dependency)
                if dependency not in needed:
                    needed.append(dependency)

        visit(name)
        return needed

    def _levels(self) -> list[list[str]]:
        depth: dict[str, int] = {}
        for name, program in self._programs.items():  # already in dependency order
            depth[name] = 1 + max((depth[d] for d in program.config.depends_on), default=-1)
        levels: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
        for name, level in depth.items():
            levels[level].append(name)
        return levels


def _start_budget(config: ProgramConfig) -> float:
    return config.probe.startup_grace + config.probe.timeout + 1.0


def _ensure_subreaper() -> None:
    global _subreaper  # once per process: the kernel flag is process-wide
    if not _subreaper:
        _subreaper = become_subreaper()
