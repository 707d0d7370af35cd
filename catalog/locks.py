"""A lock in the catalog so that two runs never overlap on one catalog.

Taken with one INSERT (the primary key makes it exclusive on SQLite and PostgreSQL alike),
released by a DELETE. A holder that crashed cannot keep it: the lock expires, and a holder
on this machine whose process is gone is taken over at once (its crawl processes die with
it: crawler.crawl), and the runs it left running are marked abandoned.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from catalog import db, runs
from catalog.errors import ListkeeperError
from catalog.models import Lock
from catalog.vocabulary import utcnow


class LockHeld(ListkeeperError):
    """Another process holds the lock."""

    exit_code = 1


def me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _gone(holder: str) -> bool:
    """True when ``holder`` is a process of this machine that no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire(engine: Engine, name: str, ttl: timedelta, *, now: datetime | None = None) -> str:
    now = now or utcnow()
    holder = me()
    with db.session_scope(engine) as s:
        try:
            with s.begin_nested():
                s.execute(
                    insert(Lock).values(
                        name=name, holder=holder, acquired_at=now, expires_at=now + ttl
                    )
                )
            return holder
        except IntegrityError:
            pass
        current = s.execute(select(Lock.holder, Lock.expires_at).where(Lock.name == name)).one()
        if current.expires_at > now and not _gone(current.holder):
            raise LockHeld(
                f"another `{name}` holds the catalog ({current.holder}, until "
                f"{current.expires_at:%Y-%m-%d %H:%M} UTC); it ends or expires, then retry"
            )
        # Expired or dead: take it over, unless someone else just did.
        taken = s.execute(
            update(Lock)
            .where(Lock.name == name, Lock.holder == current.holder)
            .values(holder=holder, acquired_at=now, expires_at=now + ttl)
        )
        if getattr(taken, "rowcount", 0) != 1:
            raise LockHeld(f"another `{name}` took the catalog just now; retry later")
        runs.abandon(s, current.holder)
    return holder


def release(engine: Engine, name: str, holder: str) -> None:
    with db.session_scope(engine) as s:
        s.execute(delete(Lock).where(Lock.name == name, Lock.holder == holder))


@contextmanager
def held(engine: Engine, name: str, ttl: timedelta) -> Iterator[None]:
    holder = acquire(engine, name, ttl)
    try:
        yield
    finally:
        release(engine, name, holder)
