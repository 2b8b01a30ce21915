"""Tell whether Celery beat is alive: its schedule file was written recently (exit 0), else 1.

Beat writes its schedule state at least every few minutes while it ticks, so a file older than
``MAX_AGE_SECONDS`` means the scheduler stopped even if its process is still there.
Usage: ``python -m config.beat_healthcheck /var/lib/probity/celerybeat-schedule``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

MAX_AGE_SECONDS = 900


def beat_alive(schedule: Path, *, now: float | None = None) -> bool:
    """Return whether a file of ``schedule`` (dbm may add a suffix) changed within the limit."""
    files = [p for p in schedule.parent.glob(schedule.name + "*") if p.is_file()]
    if not files:
        return False
    newest = max(p.stat().st_mtime for p in files)
    return (now if now is not None else time.time()) - newest < MAX_AGE_SECONDS


if __name__ == "__main__":
    sys.exit(0 if len(sys.argv) == 2 and beat_alive(Path(sys.argv[1])) else 1)
