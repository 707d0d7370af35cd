"""A run's record from start to end: running, then done, failed, interrupted or abandoned.

A run remembers which process holds it (``stats["holder"]``, as in catalog.locks), so that
when a lock is taken over from a process that is gone (``kill -9``), that process's runs are
marked abandoned instead of staying "running" for ever.
"""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from catalog import db
from catalog.models import Run
from catalog.vocabulary import utcnow

RUNNING = "running"
ENDED = ("done", "failed", "interrupted", "abandoned")


def start(engine: Engine, job: str, holder: str) -> int:
    """Record a run of ``job`` by ``holder`` (catalog.locks.me()); its id."""
    with db.session_scope(engine) as s:
        run = Run(job=job, status=RUNNING, stats={"holder": holder})
        s.add(run)
        s.flush()
        return run.id


def finish(
    engine: Engine,
    run_id: int,
    status: str,
    stats: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """End a run: its status (one of ENDED), figures and error line."""
    with db.session_scope(engine) as s:
        run = s.get(Run, run_id)
        if run is not None:
            run.finished_at, run.status = utcnow(), status
            if stats is not None:
                run.stats = stats
            if error is not None:
                run.error = error[:1000]


def finish_after(engine: Engine, run_id: int, exc: BaseException) -> None:
    """End a run that ``exc`` cut short: interrupted by a signal (KeyboardInterrupt or the
    CLI's Interrupted, both BaseExceptions but not Exceptions), failed otherwise. Best
    effort: the catalog itself may be what failed, and ``exc`` is what must be reported."""
    status = "failed" if isinstance(exc, Exception) else "interrupted"
    with contextlib.suppress(Exception):
        finish(engine, run_id, status, error=f"{type(exc).__name__}: {exc}")


def abandon(session: Session, holder: str) -> int:
    """Mark the runs ``holder`` left running as abandoned; how many."""
    running = session.scalars(select(Run).where(Run.status == RUNNING))
    left = [run for run in running if (run.stats or {}).get("holder") == holder]
    for run in left:
        run.status, run.finished_at = "abandoned", utcnow()
    return len(left)
