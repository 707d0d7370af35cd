"""Shared fixtures: the ../shared test data, catalogs on SQLite and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from catalog import db
from tests import services

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLE = Path(__file__).resolve().parents[1] / "catalog" / "sample"


def require(path: Path) -> Path:
    """``path`` (test data under ../shared), or a skip that says why it is absent."""
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared (seeds, corpora) is only in CI and dev trees")
    return path


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or a skip that says why it is absent."""
    return require(SHARED.joinpath(*parts))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    if services.pg_bindir() is None:
        pytest.skip("PostgreSQL is not installed here (.ci/run installs Debian's postgresql)")
    with services.postgres() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'catalog.db'}"


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    """A catalog brought to head by the migrations (never create_all)."""
    db.upgrade(sqlite_url)
    eng = db.make_engine(sqlite_url)
    yield eng
    eng.dispose()
