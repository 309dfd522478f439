"""Log lines nobody can forge: one record is one line, text from outside is escaped.

Questions, file names, article text and model output all reach log messages. A
newline in them would start a fake record, an ANSI escape would recolour or hide
one in a terminal. Every message is escaped with `sanitize.for_log`; a traceback
follows on continuation lines that always start with "  | ".
"""
from __future__ import annotations

import logging
import sys

from .sanitize import for_log

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class OneLineFormatter(logging.Formatter):
    """Escapes each message; indents exception and stack text so it cannot pass for a record."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = for_log(record.message, 4000)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:
        return _continuation(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _continuation(super().formatStack(stack_info))


def _continuation(text: str) -> str:
    return "\n".join("  | " + for_log(line, 0) for line in text.splitlines())


def setup(level: str = "WARNING", stream=None) -> logging.Handler:
    """Send the `rag` logger to stderr through the one-line formatter (idempotent)."""
    logger = logging.getLogger("rag")
    for h in list(logger.handlers):
        if getattr(h, "_rag_one_line", False):
            logger.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(OneLineFormatter(FORMAT))
    handler._rag_one_line = True
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return handler
