"""Each program's output: one rotating file per program, every line timestamped and tagged.

``var/log/NAME.log`` gets lines such as ``2026-01-02T03:04:05.678Z out | listening``; the
supervisor's own events about the program (spawned, exited, killed) go in as ``sup`` lines, so
the file alone tells the story.  It rotates at ``max_bytes`` into ``NAME.log.1`` ... ``.N``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

MAX_TAIL_LINES = 10_000
_READ_CHUNK = 64 * 1024


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ProgramLog:
    """Appends timestamped lines to ``path``, rotating by size; serves the last lines."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self._file: BinaryIO | None = None
        self._size = 0

    def write(self, stream: str, text: str) -> None:
        """One line (or several, split on newlines) from ``stream`` ("out", "err", "sup")."""
        stamp = _timestamp()
        data = b"".join(
            f"{stamp} {stream} | {line}\n".encode(errors="replace")
            for line in text.splitlines() or [""]
        )
        file = self._open()
        file.write(data)
        file.flush()
        self._size += len(data)
        if self._size >= self.max_bytes:
            self._rotate()

    def event(self, message: str) -> None:
        self.write("sup", message)

    def tail(self, lines: int) -> list[str]:
        """The last ``lines`` lines of the current file (at most MAX_TAIL_LINES)."""
        lines = max(0, min(lines, MAX_TAIL_LINES))
        if lines == 0 or not self.path.exists():
            return []
        with self.path.open("rb") as file:
            end = file.seek(0, os.SEEK_END)
            block = 8192
            data = b""
            while end > 0 and data.count(b"\n") <= lines:
                start = max(0, end - block)
                file.seek(start)
                data = file.read(end - start) + data
                end = start
                block *= 2
        text = data.decode(errors="replace").splitlines()
        return text[-lines:]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _open(self) -> BinaryIO:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("ab")
            self._size = self._file.tell()
        return self._file

    def _rotate(self) -> None:
        self.close()
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
            return
        for index in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{index + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))


async def pump(reader: asyncio.StreamReader, log: ProgramLog, stream: str) -> None:
    """Copy a child's pipe into the log line by line until EOF (no line-length limit)."""
    pending = b""
    while True:
        chunk = await reader.read(_READ_CHUNK)
        if not chunk:
            break
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            log.write(stream, line.decode(errors="replace").rstrip("\r"))
        if len(pending) > _READ_CHUNK:  # a very long line without newline: write what we have
            log.write(stream, pending.decode(errors="replace"))
            pending = b""
    if pending:
        with contextlib.suppress(OSError):
            log.write(stream, pending.decode(errors="replace"))
