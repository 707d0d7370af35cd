"""Engines, sessions and schema upgrades, chosen from the database URL alone."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_URL = "sqlite:///listkeeper.db"
# The newest migration; a test keeps it equal to Alembic's head. Knowing it lets a command
# skip Alembic (its import and environment cost a few hundred ms) when the schema is current.
SCHEMA_HEAD = "0005"
ENV_VAR = "LISTKEEPER_DB"
BUSY_TIMEOUT_MS = 30_000  # how long a write waits for another process's lock on SQLite


# The driver the ``postgres`` extra installs. SQLAlchemy's default for a bare
# ``postgresql://`` is psycopg2, which listkeeper does not install.
POSTGRES_DRIVER = "postgresql+psycopg"
# The backends the catalog is tested on; any other URL is refused in one line (a mysql://
# URL gave SQLAlchemy's 48-line traceback about a missing driver).
SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql", "postgres", POSTGRES_DRIVER)


def database_url(explicit: str | None = None) -> str:
    """The URL from the command line, else ``LISTKEEPER_DB``, else the SQLite file.

    A bare ``postgresql://`` or ``postgres://`` URL (what hosting services hand out) takes
    the psycopg 3 driver.
    """
    url = explicit or os.environ.get(ENV_VAR) or DEFAULT_URL
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        from catalog.errors import ConfigError

        said = f"scheme {scheme}" if sep else "no scheme"
        raise ConfigError(
            f"unsupported database URL ({said}): the catalog is SQLite (sqlite:///FILE) or"
            " PostgreSQL (postgresql://HOST/NAME); see --db, LISTKEEPER_DB and"
            " [catalog] database"
        )
    if scheme.lower() in ("postgresql", "postgres"):
        return f"{POSTGRES_DRIVER}://{rest}"
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets a report read while a check writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
    cursor.close()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = database_url(url)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session


# What a catalog's failure means for the user, by the driver's message (SQLite, psycopg).
_MEANINGS = (
    ("database is locked", "another process holds the catalog's write lock; retry when it ends"),
    ("readonly database", "the catalog is read-only here; give it a writable file or --db URL"),
    ("read-only transaction", "the catalog is read-only here; give it a writable --db URL"),
    ("disk is full", "the disk holding the catalog is full; free space and retry"),
    ("unable to open database", "the catalog's file cannot be opened; check --db and its folder"),
)


def describe(exc: BaseException) -> str | None:
    """One line for a database failure that is the catalog's state, not a bug (locked,
    read-only, full, unreachable): what happened and what to do. None for anything else."""
    if not isinstance(exc, OperationalError):
        return None
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    for needle, meaning in _MEANINGS:
        if needle in first.lower():
            return f"catalog: {first}: {meaning}"
    return f"catalog: {first}"


def alembic_config(url: str | None = None) -> Config:
    """Alembic configured in code from the installed ``migrations`` package.

    This is what ``listkeeper db upgrade`` uses, so it works from a wheel with no
    ``alembic.ini`` in sight.
    """
    from alembic.config import Config

    # stdout given now: Config's default is the sys.stdout of its first import (under pytest,
    # a capture that a later test finds closed).
    cfg = Config(stdout=sys.stdout)
    cfg.set_main_option("script_location", str(resources.files("migrations")))
    cfg.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def is_current(engine: Engine) -> bool:
    """True when the catalog's schema is at SCHEMA_HEAD (no Alembic needed to tell)."""
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return False
    return version == SCHEMA_HEAD


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
