"""Structured logging with structlog: JSON in production, readable lines in development.

Our own log calls go through structlog's native pipeline straight to stderr, which matters
because every request writes an access line: in JSON mode lines are rendered by orjson as
bytes (about 7 µs a line, against 13 µs with the standard library's json and 80 µs through
the standard library's logging formatter).  The edge's access lines skip even structlog's
processors and go out once per turn of the event loop (:func:`log_access`).
Standard-library loggers (uvicorn, SQLAlchemy, Alembic) go through the logging module with
an equivalent renderer.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, BinaryIO, TextIO

import orjson
import structlog


class _NamedWriteLogger(structlog.WriteLogger):
    """structlog's fast text writer, plus the name ``add_logger_name`` reports."""

    def __init__(self, name: str, file: TextIO) -> None:
        super().__init__(file)
        self.name = name


class _NamedBytesLogger(structlog.BytesLogger):
    """structlog's bytes writer (for orjson's output), plus the logger's name."""

    def __init__(self, name: str, file: BinaryIO) -> None:
        super().__init__(file)
        self.name = name


def _text_logger(*args: Any) -> _NamedWriteLogger:
    return _NamedWriteLogger(str(args[0]) if args else "fodi", sys.stderr)


class _NamedDecodingLogger(_NamedWriteLogger):
    """The text writer for orjson's bytes, where stderr has no byte buffer (a test that
    captures it as text)."""

    def msg(self, message: str | bytes) -> None:
        super().msg(message.decode() if isinstance(message, bytes) else message)

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


def _bytes_logger(*args: Any) -> _NamedDecodingLogger | _NamedBytesLogger:
    name = str(args[0]) if args else "fodi"
    buffer = getattr(sys.stderr, "buffer", None)
    if buffer is None:
        return _NamedDecodingLogger(name, sys.stderr)
    sys.stderr.flush()  # nothing written as text may come out after what is written as bytes
    return _NamedBytesLogger(name, buffer)


def _orjson_dumps(event: Any, **_: Any) -> bytes:
    try:
        return orjson.dumps(event, default=repr, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:  # what orjson cannot write (an int past 64 bits, ...)
        return json.dumps(event, default=repr, ensure_ascii=False).encode()


# How access lines are written, set by configure_logging: True for JSON lines built by
# log_access itself, False for structlog's pipeline (the console, or a level above INFO).
_json_access = False
_access_output: _NamedDecodingLogger | _NamedBytesLogger | None = None
_access_logger = structlog.get_logger("fodi.access")
# Access lines written in one turn of the event loop go out together at its end, in one
# write: with PYTHONUNBUFFERED (usual in containers) stderr has no buffer, and a write per
# line was a measurable part of a small request's system time.  A line is late by the rest
# of its turn at most (never by a timer), so within a turn it may follow other lines; each
# carries its timestamp.
_pending_access: list[bytes] = []
_access_flush_loop: asyncio.AbstractEventLoop | None = None  # the loop with a write scheduled


def log_access(request_id: str, **fields: Any) -> None:
    """One access line (``event: request``) with the caller's request id.

    In JSON mode the line is built here, with the keys structlog's pipeline would give it
    (``request_id``, the fields, ``level``, ``timestamp``, ``logger``): every request of
    every service writes one, and the pipeline's six processors cost a fifth of the menu's
    whole answer under load.  Other modes go through structlog as usual.
    """
    if not _json_access:
        _access_logger.info("request", request_id=request_id, **fields)
        return
    line = {
        "request_id": request_id,
        **fields,
        "event": "request",
        "level": "info",
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "logger": "fodi.access",
    }
    _queue_access_line(_orjson_dumps(line))


def _queue_access_line(line: bytes) -> None:
    global _access_output, _access_flush_loop
    if _access_output is None:  # made at first use, like structlog's own loggers
        _access_output = _bytes_logger("fodi.access")
    _pending_access.append(line)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        _write_access_lines()
        return
    if _access_flush_loop is not loop:  # keyed by loop: a stopped loop may never have run it
        _access_flush_loop = loop
        loop.call_soon(_write_access_lines)


@atexit.register
def _write_access_lines() -> None:
    global _access_flush_loop
    _access_flush_loop = None
    if _pending_access and _access_output is not None:
        taken = _pending_access[:]
        del _pending_access[: len(taken)]  # keeps what another thread's loop appends meanwhile
        _access_output.msg(b"\n".join(taken))


def configure_logging(*, level: str = "INFO", as_json: bool = False) -> None:
    """Configure structlog and the standard library's root logger once, at start-up."""
    global _json_access, _access_output
    numeric_level = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    _write_access_lines()  # what is pending goes where it was meant to
    _json_access = as_json and numeric_level <= logging.INFO
    _access_output = None
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    native_renderer = (
        structlog.processors.JSONRenderer(serializer=_orjson_dumps) if as_json else renderer
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.add_logger_name,
            structlog.processors.format_exc_info,
            native_renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=_bytes_logger if as_json else _text_logger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Access lines are our own middleware's job (with timing and the request id), and the
    # services' HTTP clients would otherwise log every call they make.
    for name in ("uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(numeric_level, logging.WARNING))
