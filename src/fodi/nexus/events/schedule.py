"""Cron schedules (croniter): validation, including expressions that can never fire."""

from __future__ import annotations

from datetime import datetime

from croniter import CroniterBadCronError, CroniterBadDateError, CroniterError, croniter

from fodi.core.errors import BadRequest


def next_fire(expression: str, after: datetime) -> datetime:
    fire: datetime = croniter(expression, after).get_next(datetime)
    return fire


def validate_cron(expression: str, now: datetime) -> datetime:
    """The first fire time after ``now``; 400 for a malformed or never-firing expression."""
    try:
        if not croniter.is_valid(expression):
            raise BadRequest(f"cron expression {expression!r} is not valid")
        return next_fire(expression, now)
    except CroniterBadDateError as exc:
        # e.g. "0 0 30 2 *" (30 February): croniter finds no date in its search window.
        raise BadRequest(f"cron expression {expression!r} never fires") from exc
    except (CroniterBadCronError, CroniterError, ValueError, KeyError) as exc:
        raise BadRequest(f"cron expression {expression!r} is not valid") from exc
