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
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from catalog import db
from jobs.offlineweb.testkit import throwaway

# The corpora and seeds beside the repository (others' pages: never copied into it). CI
# always has them; a lone clone does not. LISTKEEPER_SHARED points elsewhere (an empty
# folder shows what a lone clone runs).
SHARED = Path(os.environ.get("LISTKEEPER_SHARED") or Path(__file__).resolve().parents[2] / "shared")
SAMPLE = Path(__file__).resolve().parents[1] / "catalog" / "sample"

BACKENDS = ("sqlite", "postgresql")
BACKEND_ENV = "LISTKEEPER_TEST_DB"
_BACKEND = pytest.StashKey[str]()
_CORPUS_LEFT = pytest.StashKey[int]()
_BACKEND_LEFT = pytest.StashKey[int]()  # tests about the other backend only, left out
ONLY = {"sqlite": "postgresql_only", "postgresql": "sqlite_only"}  # the marker a backend leaves out
_CURRENT = pytest.StashKey[pytest.Item]()
_config: pytest.Config | None = None


def require(path: Path) -> Path:
    """``path`` (test data under ../shared), for a test of the corpus suite.

    A test that reads ../shared must say so with the ``corpus`` marker (``needs_shared``):
    the suite that runs from a lone clone never depends on data it does not have.
    """
    item = _config.stash.get(_CURRENT, None) if _config is not None else None
    if item is not None and item.get_closest_marker("corpus") is None:
        pytest.fail(f"{item.nodeid} reads {path} but is not marked corpus (needs_shared)")
    if not path.exists():
        # ../shared is there (else the corpus suite is left out whole): a file it lacks is a
        # broken corpus, not a reason to pass.
        pytest.fail(f"{path} is absent from {SHARED}", pytrace=False)
    return path


def needs_shared(*parts: str) -> pytest.MarkDecorator:
    """The corpus suite's marker, for a test, class or module that reads ../shared/PARTS.

    The parts say what it reads; when ../shared is absent the whole corpus suite is left
    out and announced in one line, not skipped test by test.
    """
    return pytest.mark.corpus(SHARED.joinpath(*parts))


def shared_path(*parts: str) -> Path:
    """A file under ../shared, for a test of the corpus suite (see ``require``)."""
    return require(SHARED.joinpath(*parts))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db-backend",
        choices=BACKENDS,
        default=None,
        help=f"the catalog backend of the tests [env {BACKEND_ENV}; default sqlite]",
    )
    parser.addoption(
        "--reverse",
        action="store_true",
        help="run the tests in reverse order (with -p no:randomly: collection order reversed),"
        " to find tests that depend on others having run first",
    )


def pytest_configure(config: pytest.Config) -> None:
    global _config
    _config = config
    config.addinivalue_line(
        "markers", "corpus(path): reads ../shared (the corpus suite, `make corpus`)"
    )
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): about SQLite itself; left out under --db-backend=postgresql",
    )
    config.addinivalue_line(
        "markers",
        "postgresql_only(reason): about PostgreSQL itself; run by --db-backend=postgresql",
    )
    backend = config.getoption("--db-backend") or os.environ.get(BACKEND_ENV) or "sqlite"
    if backend not in BACKENDS:
        raise pytest.UsageError(f"{BACKEND_ENV}={backend!r}: expected one of {BACKENDS}")
    if backend == "postgresql" and throwaway.pg_bindir() is None:
        raise pytest.UsageError(
            "the postgresql backend needs Debian's postgresql (initdb, pg_ctl) installed"
        )
    config.stash[_BACKEND] = backend


def backend(config: pytest.Config) -> str:
    return config.stash[_BACKEND]


def pytest_report_header(config: pytest.Config) -> str:
    return f"catalog backend: {backend(config)}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--reverse"):
        items.reverse()
    if not SHARED.is_dir():
        config.stash[_CORPUS_LEFT] = _leave_out(config, items, "corpus")
    # A test about the other backend is not run here: left out in one line, as the corpus
    # is, never skipped one by one; each marker carries its reason.
    config.stash[_BACKEND_LEFT] = _leave_out(config, items, ONLY[backend(config)])


def _leave_out(config: pytest.Config, items: list[pytest.Item], marker: str) -> int:
    """Deselect the tests marked ``marker`` (announced in one line at the end); how many."""
    left = [item for item in items if item.get_closest_marker(marker)]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = [item for item in items if not item.get_closest_marker(marker)]
    return len(left)


def pytest_runtest_setup(item: pytest.Item) -> None:
    item.config.stash[_CURRENT] = item


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    seed = config.getoption("randomly_seed", None)
    if seed is not None and config.getoption("randomly_reorganize"):
        # pytest-randomly's header line is hidden by -q: the order is said here, once.
        terminalreporter.write_line(
            f"tests ran in a random order: --randomly-seed={seed} repeats it"
        )
    left = config.stash.get(_CORPUS_LEFT, None)
    if left is not None:
        terminalreporter.write_line(
            f"corpus suite: {left} tests left out: {SHARED} is absent (CI has it)"
        )
    if other := config.stash.get(_BACKEND_LEFT, 0):
        only = ONLY[backend(config)]
        terminalreporter.write_line(
            f"backend {backend(config)}: {other} tests marked {only} left out"
            f" (the other pass of make test runs them)"
        )


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist: the workers collect, the controller reports; a worker's count of the
    corpus tests it left out reaches the controller's one line through workeroutput."""
    output = getattr(node, "workeroutput", {})
    if output.get("corpus_left") is not None:
        node.config.stash[_CORPUS_LEFT] = output["corpus_left"]
    node.config.stash[_BACKEND_LEFT] = output.get("backend_left", 0)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        if _CORPUS_LEFT in session.config.stash:
            workeroutput["corpus_left"] = session.config.stash[_CORPUS_LEFT]
        workeroutput["backend_left"] = session.config.stash.get(_BACKEND_LEFT, 0)
    # `make corpus` in a lone clone selects nothing; that is the announced outcome, not an error.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and session.config.stash.get(
        _CORPUS_LEFT, 0
    ):
        session.exitstatus = pytest.ExitCode.OK


def _missing(what: str) -> None:
    """A tool the suite needs is absent: its tests fail, saying what to install; a skipped
    test would pass for a behaviour nobody checked."""
    pytest.fail(what, pytrace=False)


# Debian's Chromium (never Playwright's own browser download), for the HTML report's tests.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Playwright, for a module's tests."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is absent: install Debian's chromium (.ci/run does)")
    from playwright import sync_api  # a dev dependency

    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    if throwaway.pg_bindir() is None:
        _missing("PostgreSQL is not installed here (.ci/run installs Debian's postgresql)")
    with throwaway.postgres() as url:
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
    if not throwaway.REDIS_SERVER.exists():
        _missing("redis-server is not installed here (.ci/run installs Debian's redis-server)")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A throwaway redis-server on a loopback port, for a module's tests."""
    _require_redis_server()
    with throwaway.redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def redis_cluster_url() -> Iterator[str]:
    """A throwaway Redis Cluster of three primaries on loopback ports, for a module's tests."""
    _require_redis_server()
    with throwaway.redis_cluster() as url:
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
