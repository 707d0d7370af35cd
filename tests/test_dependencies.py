"""Every dependency pyproject declares is imported by the packages it ships."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from catalog import db

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("crawler", "pipelines", "catalog", "migrations", "jobs")


def imported_modules() -> set[str]:
    """Top-level names of every module the shipped packages import, lazily or not."""
    names: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module.split(".")[0])
    return names


def names(specs: list[str]) -> list[str]:
    return [re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0] for spec in specs]


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_every_declared_dependency_is_imported() -> None:
    provides: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            provides.setdefault(dist.lower().replace("_", "-"), set()).add(module)
    imported = imported_modules()
    unused = [
        name
        for name in names(PROJECT["dependencies"])
        if not provides.get(name.lower().replace("_", "-"), set()) & imported
    ]
    assert unused == [], f"declared in pyproject.toml but imported by no package: {unused}"


def test_the_postgres_extra_is_the_driver_the_database_urls_name() -> None:
    """SQLAlchemy imports the driver a URL names, not our code: bare URLs name ours."""
    (driver,) = names(PROJECT["optional-dependencies"]["postgres"])
    assert f"postgresql+{driver}" == db.POSTGRES_DRIVER
    for bare in ("postgresql://u:p@h/db", "postgres://u:p@h/db"):
        assert db.database_url(bare) == f"postgresql+{driver}://u:p@h/db"
    for kept in ("postgresql+psycopg://u@h/db", "sqlite:///x.db", "sqlite:///postgres://x"):
        assert db.database_url(kept) == kept


def test_bench_never_imports_tests() -> None:
    """One direction only: the tests may load a bench, a bench never imports the tests (the
    throwaway servers both start live in ``jobs/offlineweb/testkit/throwaway.py``)."""
    found = []
    for path in sorted(
        [*(ROOT / "bench").rglob("*.py"), ROOT / "jobs" / "offlineweb" / "testkit" / "throwaway.py"]
    ):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            found += [f"{path.name}: {m}" for m in modules if m.split(".")[0] == "tests"]
    assert found == [], f"bench imports tests: {found}"
