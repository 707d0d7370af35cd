"""Read a catalog in a test, whichever backend it is on (SQLite file or PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from catalog import db


def default_url(folder: Path) -> str:
    """The catalog a command run in ``folder`` without ``--db`` opens: ``LISTKEEPER_DB``
    (the test's PostgreSQL database under the backend switch), else ./listkeeper.db."""
    return os.environ.get(db.ENV_VAR) or f"sqlite:///{Path(folder).resolve() / 'listkeeper.db'}"


def select(where: str | Path, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """The rows of one SELECT against a catalog URL, or the default catalog of a folder."""
    url = default_url(where) if isinstance(where, Path) else where
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()
