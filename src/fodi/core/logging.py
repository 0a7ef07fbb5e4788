"""Structured logging with structlog: JSON in production, readable lines in development.

Our own log calls go through structlog's native pipeline straight to stderr, which matters
because every request writes an access line: in JSON mode the line is rendered by orjson as
bytes and written to stderr's buffer (about 7 µs a line, against 13 µs with the standard
library's json and 80 µs through the standard library's logging formatter).
Standard-library loggers (uvicorn, SQLAlchemy, Alembic) go through the logging module with
an equivalent renderer.
"""

from __future__ import annotations

import json
import logging
import sys
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


def configure_logging(*, level: str = "INFO", as_json: bool = False) -> None:
    """Configure structlog and the standard library's root logger once, at start-up."""
    numeric_level = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
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
