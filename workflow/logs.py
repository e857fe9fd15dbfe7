"""structlog configuration for entry points: JSON or console lines on stderr, never personal data."""

from __future__ import annotations

import logging
import sys

import structlog


def _stderr_logger(*_: object) -> structlog.PrintLogger:
    """Looks up sys.stderr when logging, so a replaced stream (tests, daemons) is honoured."""
    return structlog.PrintLogger(file=sys.stderr)


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("transitions").setLevel(logging.WARNING)  # one line per transition otherwise
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
