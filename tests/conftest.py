"""Shared fixtures: the ../shared test data, catalogs on SQLite and a real PostgreSQL.

The catalog backend is a switch: ``--db-backend=postgresql`` (or env
``LISTKEEPER_TEST_DB=postgresql``) runs the suite against the session's PostgreSQL server,
each test on a fresh, empty database of its own. The default is SQLite, a file per test.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from catalog import db
from tests import services

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLE = Path(__file__).resolve().parents[1] / "catalog" / "sample"

BACKENDS = ("sqlite", "postgresql")
BACKEND_ENV = "LISTKEEPER_TEST_DB"
_BACKEND = pytest.StashKey[str]()


def _absent(path: Path) -> str:
    return f"{path} is absent: ../shared (seeds, corpora) is only in CI and dev trees"


def require(path: Path) -> Path:
    """``path`` (test data under ../shared), or a skip that says why it is absent."""
    if not path.exists():
        pytest.skip(_absent(path))
    return path


def needs_shared(*parts: str) -> pytest.MarkDecorator:
    """A marker: skip, saying why, when this file or folder under ../shared is absent (for
    tests and modules whose fixtures read it before a test body could call ``require``)."""
    path = SHARED.joinpath(*parts)
    return pytest.mark.skipif(not path.exists(), reason=_absent(path))


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or a skip that says why it is absent."""
    return require(SHARED.joinpath(*parts))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db-backend",
        choices=BACKENDS,
        default=None,
        help=f"the catalog backend of the tests [env {BACKEND_ENV}; default sqlite]",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): about SQLite itself; skipped under --db-backend=postgresql",
    )
    backend = config.getoption("--db-backend") or os.environ.get(BACKEND_ENV) or "sqlite"
    if backend not in BACKENDS:
        raise pytest.UsageError(f"{BACKEND_ENV}={backend!r}: expected one of {BACKENDS}")
    if backend == "postgresql" and services.pg_bindir() is None:
        raise pytest.UsageError(
            "the postgresql backend needs Debian's postgresql (initdb, pg_ctl) installed"
        )
    config.stash[_BACKEND] = backend


def backend(config: pytest.Config) -> str:
    return config.stash[_BACKEND]


def pytest_report_header(config: pytest.Config) -> str:
    return f"catalog backend: {backend(config)}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if backend(config) != "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    if services.pg_bindir() is None:
        pytest.skip("PostgreSQL is not installed here (.ci/run installs Debian's postgresql)")
    with services.postgres() as url:
        yield url


@pytest.fixture(scope="session")
def pg_admin(pg_url: str) -> Iterator[Engine]:
    """The session server's maintenance database, for CREATE and DROP DATABASE."""
    admin = create_engine(pg_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    yield admin
    admin.dispose()


_numbers = itertools.count(1)


@pytest.fixture
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty catalog of the session's backend: a SQLite file in ``tmp_path``, or a fresh
    PostgreSQL database, dropped (connections and all) at the end of the test."""
    if backend(request.config) == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.db'}"
        return
    admin: Engine = request.getfixturevalue("pg_admin")
    name = f"lk_test_{os.getpid()}_{next(_numbers)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(autouse=True)
def _default_catalog(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalog a command opens without ``--db``: ./listkeeper.db on SQLite; under the
    PostgreSQL switch, ``LISTKEEPER_DB`` names the test's own database (subprocesses
    inherit it). Only a test with a ``tmp_path`` can write a catalog, so only it gets one."""
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    if backend(request.config) == "postgresql" and "tmp_path" in request.fixturenames:
        monkeypatch.setenv(db.ENV_VAR, request.getfixturevalue("catalog_url"))


def _require_redis_server() -> None:
    if not services.REDIS_SERVER.exists():
        pytest.skip("redis-server is not installed here (.ci/run installs Debian's redis-server)")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A throwaway redis-server on a loopback port, for a module's tests."""
    _require_redis_server()
    with services.redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def redis_cluster_url() -> Iterator[str]:
    """A throwaway Redis Cluster of three primaries on loopback ports, for a module's tests."""
    _require_redis_server()
    with services.redis_cluster() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file whatever the backend switch says (for tests about SQLite itself)."""
    return f"sqlite:///{tmp_path / 'sqlite.db'}"


@pytest.fixture
def engine(catalog_url: str) -> Iterator[Engine]:
    """A catalog brought to head by the migrations (never create_all)."""
    db.upgrade(catalog_url)
    eng = db.make_engine(catalog_url)
    yield eng
    eng.dispose()
