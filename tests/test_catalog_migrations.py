"""The migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from catalog import db
from catalog.models import Base

ROOT = Path(__file__).resolve().parents[1]


def _upgrade_and_check(url: str) -> None:
    db.upgrade(url)
    command.check(db.alembic_config(url))  # raises when models and migrations differ
    engine = db.make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert db.current_revision(engine) is not None
    finally:
        engine.dispose()


def test_sqlite_upgrade_head_and_check(sqlite_url: str) -> None:
    _upgrade_and_check(sqlite_url)


@pytest.mark.postgres
def test_postgres_upgrade_head_and_check(pg_url: str) -> None:
    _upgrade_and_check(pg_url)


def test_alembic_cli_in_repo_runs_check(tmp_path: Path) -> None:
    """Developers run `alembic` from the repository with alembic.ini."""
    env = {
        "LISTKEEPER_DB": f"sqlite:///{tmp_path / 'dev.db'}",
        "PATH": str(Path(sys.executable).parent),
    }
    alembic = str(Path(sys.executable).parent / "alembic")
    for args in (["upgrade", "head"], ["check"]):
        done = subprocess.run(
            [alembic, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "dev.db").exists()


def test_db_upgrade_from_installed_wheel(tmp_path: Path) -> None:
    """`listkeeper db upgrade` finds its migrations in the installed package, not the repo."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("listkeeper-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "zipfile", "-e", str(wheel), str(site)], check=True, timeout=60
    )
    assert (site / "migrations" / "versions").is_dir()
    assert not (site / "alembic.ini").exists()
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = (
        "import migrations, sys; from jobs.cli import run;"
        f"assert migrations.__file__.startswith({str(site)!r}), migrations.__file__;"
        "sys.exit(run(['--db', 'sqlite:///w.db', 'db', 'upgrade']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=work,
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "catalog at revision" in done.stdout
    assert (work / "w.db").exists()


def test_schema_head_constant_is_alembic_head(sqlite_url: str) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db.alembic_config(sqlite_url))
    assert script.get_current_head() == db.SCHEMA_HEAD
    engine = db.make_engine(sqlite_url)
    try:
        assert not db.is_current(engine)  # an empty file: no schema yet
        db.upgrade(sqlite_url)
        assert db.is_current(engine)
    finally:
        engine.dispose()
