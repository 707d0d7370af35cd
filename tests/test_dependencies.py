"""What imports what: every dependency pyproject declares is imported by the packages the
wheel ships; nothing shipped imports what the wheel leaves out; no bench imports the tests;
data flows one way between the packages."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from catalog import db

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGES = ("crawler", "pipelines", "catalog", "migrations", "jobs")
# What stays in the repository, out of the wheel: the tests' and benches' kit.
UNSHIPPED = [
    ROOT.joinpath(*pattern.rstrip("*").split("."))
    for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["exclude"]
]
TESTKIT = ROOT / "jobs" / "offlineweb" / "testkit"


def shipped_files() -> list[Path]:
    """The modules of the packages the wheel ships."""
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if not any(path.is_relative_to(left_out) for left_out in UNSHIPPED)
    ]


def imports(path: Path) -> list[str]:
    """Every module ``path`` imports, lazily or not; relative imports made absolute."""
    package = list(path.relative_to(ROOT).parts[:-1])
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found += [module] if node.module else [f"{module}.{a.name}" for a in node.names]
    return found


def imported_modules() -> set[str]:
    """Top-level names of every module the shipped packages import, lazily or not."""
    return {module.split(".")[0] for path in shipped_files() for module in imports(path)}


def names(specs: list[str]) -> list[str]:
    return [re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0] for spec in specs]


PROJECT = PYPROJECT["project"]


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
    """One direction only: the tests may load a bench, a bench never imports the tests, nor
    does the kit both use (jobs/offlineweb/testkit: the webs, throwaway servers)."""
    found = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in [*sorted((ROOT / "bench").rglob("*.py")), *sorted(TESTKIT.rglob("*.py"))]
        for module in imports(path)
        if module.split(".")[0] == "tests"
    ]
    assert found == [], f"imports tests: {found}"


def test_shipped_packages_never_import_the_unshipped_kit() -> None:
    """The wheel leaves the testkit out: a shipped module that imported it would fail
    installed, on a path the demo may never take."""
    kit = [".".join(path.relative_to(ROOT).parts) for path in UNSHIPPED]
    assert kit == ["jobs.offlineweb.testkit"]  # else this test would check nothing
    found = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in shipped_files()
        for module in imports(path)
        if any(module == k or module.startswith(k + ".") for k in kit)
    ]
    assert found == [], f"shipped modules import what the wheel leaves out: {found}"


# Data flows one way: spiders yield items, pipelines store them, the catalog holds what was
# learned and renders and reports it; jobs run them all, and nothing runs the jobs.
NEVER_IMPORTS = {
    "catalog": {"scrapy", "twisted", "crawler", "pipelines", "jobs"},
    "migrations": {"scrapy", "twisted", "crawler", "pipelines", "jobs"},
    "crawler": {"jobs"},
    "pipelines": {"jobs"},
}


def test_data_flows_one_way() -> None:
    """The catalog and its migrations import neither Scrapy (nor Twisted) nor the crawler,
    the pipelines or the jobs, lazily or not; the crawler and the pipelines never import
    the jobs that run them."""
    found = [
        f"{path.relative_to(ROOT)}: {module}"
        for package, banned in NEVER_IMPORTS.items()
        for path in sorted((ROOT / package).rglob("*.py"))
        for module in imports(path)
        if module.split(".")[0] in banned
    ]
    assert found == [], f"imports against the flow: {found}"


# Standard library of a later Python than the running one, or the compiler's own.
NEWER_STDLIB = {"__future__", "compression"}  # compression.zstd: 3.14, else backports.zstd


def test_every_imported_distribution_is_declared() -> None:
    """The converse: a module the shipped packages import comes from the standard library,
    from the packages themselves, or from a distribution pyproject declares; one that only
    arrives as another's dependency can vanish with that dependency's next release."""
    declared = {name.lower().replace("_", "-") for name in names(PROJECT["dependencies"])}
    distributions = packages_distributions()
    ours = set(PACKAGES)
    undeclared = sorted(
        f"{module} (from {', '.join(distributions.get(module, ['?']))})"
        for module in imported_modules()
        if module
        and module not in ours
        and module not in sys.stdlib_module_names
        and module not in NEWER_STDLIB
        and not {d.lower().replace("_", "-") for d in distributions.get(module, [])} & declared
    )
    assert undeclared == [], f"imported but not declared in pyproject.toml: {undeclared}"
