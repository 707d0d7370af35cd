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
from tests.catalogdb import select

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


@pytest.mark.sqlite_only(reason="the SQLite twin of test_postgres_upgrade_head_and_check")
def test_sqlite_upgrade_head_and_check(sqlite_url: str) -> None:
    _upgrade_and_check(sqlite_url)


@pytest.mark.postgres
def test_postgres_upgrade_head_and_check(pg_url: str) -> None:
    _upgrade_and_check(pg_url)


def test_alembic_cli_in_repo_runs_check(catalog_url: str) -> None:
    """Developers run `alembic` from the repository with alembic.ini."""
    env = {
        "LISTKEEPER_DB": catalog_url,
        "PATH": str(Path(sys.executable).parent),
    }
    alembic = str(Path(sys.executable).parent / "alembic")
    for args in (["upgrade", "head"], ["check"]):
        done = subprocess.run(
            [alembic, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    assert select(catalog_url, "select version_num from alembic_version") == [(db.SCHEMA_HEAD,)]


def test_db_upgrade_from_installed_wheel(tmp_path: Path, catalog_url: str) -> None:
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
    # The queue's Lua scripts are package data, read from the installed package.
    assert {p.stem for p in (site / "crawler" / "queue_lua").glob("*.lua")} >= {"library", "take"}
    assert not (site / "alembic.ini").exists()
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = (
        "import migrations, sys; from jobs.cli import run;"
        f"assert migrations.__file__.startswith({str(site)!r}), migrations.__file__;"
        "from crawler import queue;"
        f"assert queue.__file__.startswith({str(site)!r}), queue.__file__;"
        "assert all('unlease' in queue.script_source(n) for n in queue.SCRIPT_NAMES);"
        f"sys.exit(run(['--db', {catalog_url!r}, 'db', 'upgrade']))"
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
    assert select(catalog_url, "select version_num from alembic_version") == [(db.SCHEMA_HEAD,)]


def test_schema_head_constant_is_alembic_head(catalog_url: str) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db.alembic_config(catalog_url))
    assert script.get_current_head() == db.SCHEMA_HEAD
    engine = db.make_engine(catalog_url)
    try:
        assert not db.is_current(engine)  # an empty catalog: no schema yet
        db.upgrade(catalog_url)
        assert db.is_current(engine)
    finally:
        engine.dispose()


def test_migrations_never_import_the_models() -> None:
    """A migration is history: it keeps working when a model or model type moves."""
    import ast

    versions = ROOT / "migrations" / "versions"
    template = (ROOT / "migrations" / "script.py.mako").read_text(encoding="utf-8")
    assert "import catalog" not in template and "from catalog" not in template
    for path in versions.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not [n for n in names if n.split(".")[0] == "catalog"], path.name
