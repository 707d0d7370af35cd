"""``listkeeper.toml``: loaded once into typed settings, with one clear error when wrong."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from catalog.errors import ConfigError

DEFAULT_PATH = Path("listkeeper.toml")
RegionKind = Literal["az-index", "letter-groups", "link-table"]
REGION_KINDS: tuple[str, ...] = ("az-index", "letter-groups", "link-table")
SORTS = ("title", "position")


@dataclass(frozen=True)
class Region:
    """A managed part of the README, between ``listkeeper:begin/end NAME`` markers."""

    name: str
    kind: RegionKind
    group: str = ""  # letter groups: the suffix of "<L> <group>" headings ("companies")
    section: str = ""  # link tables: the heading whose entries fill the table
    heading_level: int = 4
    sort: str = "title"  # title | position (the order in the README / of acceptance)
    columns: int = 9  # A–Z index: cells per row
    header: tuple[str, ...] = ("Title", "Link(s)")  # link tables
    template: str = ""  # a template name overriding the kind's default


@dataclass(frozen=True)
class Verdicts:
    dead_after_checks: int = 2
    dead_after_hours: float = 20.0
    transient_dead_after_days: float = 7.0


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    readme: Path = Path("README.md")
    database: str | None = None
    templates: Path | None = None  # a folder of templates overriding the built-in ones
    regions: tuple[Region, ...] = ()
    verdicts: Verdicts = field(default_factory=Verdicts)
    raw: dict[str, Any] = field(default_factory=dict)  # sections later issues read

    def region(self, name: str) -> Region | None:
        return next((r for r in self.regions if r.name == name), None)


def load(path: Path | None = None, *, required: bool = False) -> Config:
    """Read the config file; a missing default file means the defaults."""
    file = path or DEFAULT_PATH
    if not file.exists():
        if required or path is not None:
            raise ConfigError(f"{file}: no such config file (run `listkeeper init` to write one)")
        return Config()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    return parse(data, file)


def parse(data: dict[str, Any], file: Path | None = None) -> Config:
    where = str(file or "config")
    base = file.parent if file else Path(".")
    readme = data.get("readme", {})
    render = data.get("render", {})
    catalog = data.get("catalog", {})
    if not all(isinstance(t, dict) for t in (readme, render, catalog)):
        raise ConfigError(f"{where}: [readme], [render] and [catalog] must be tables")
    regions = tuple(
        _region(r, f"{where}: [[render.regions]] #{i + 1}")
        for i, r in enumerate(render.get("regions", []))
    )
    names = [r.name for r in regions]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: two [[render.regions]] have the same name")
    templates = render.get("templates")
    return Config(
        path=file,
        readme=base / readme.get("path", "README.md"),
        database=catalog.get("database"),
        templates=base / templates if templates else None,
        regions=regions,
        verdicts=_verdicts(data.get("verdicts", {}), where),
        raw=data,
    )


def check_keys(table: dict[str, Any], fields: type, where: str) -> None:
    """A table of the config may only hold the fields of its dataclass: one clear error."""
    unknown = set(table) - {f.name for f in dataclasses.fields(fields)}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")


def _region(raw: Any, where: str) -> Region:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    check_keys(raw, Region, where)
    name, kind = raw.get("name"), raw.get("kind")
    if not isinstance(name, str) or not name.strip() or any(c.isspace() for c in name):
        raise ConfigError(f"{where}: `name` must be a word without spaces")
    if kind not in REGION_KINDS:
        raise ConfigError(f"{where} ({name}): `kind` must be one of {', '.join(REGION_KINDS)}")
    if kind in ("az-index", "letter-groups") and not raw.get("group"):
        raise ConfigError(f'{where} ({name}): a {kind} region needs `group`, e.g. "companies"')
    if kind == "link-table" and not raw.get("section"):
        raise ConfigError(f"{where} ({name}): a link-table region needs `section`")
    if raw.get("sort", "title") not in SORTS:
        raise ConfigError(f"{where} ({name}): `sort` must be one of {', '.join(SORTS)}")
    values = dict(raw)
    if "header" in values:
        values["header"] = tuple(str(h) for h in values["header"])
    try:
        return Region(**values)
    except TypeError as exc:
        raise ConfigError(f"{where} ({name}): {exc}") from exc


def _verdicts(raw: Any, where: str) -> Verdicts:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [verdicts] must be a table")
    try:
        v = Verdicts(**raw)
    except TypeError as exc:
        raise ConfigError(f"{where}: [verdicts]: {exc}") from exc
    if v.dead_after_checks < 1 or v.dead_after_hours < 0:
        raise ConfigError(f"{where}: [verdicts] dead_after_checks >= 1, dead_after_hours >= 0")
    return v


def dump_regions(regions: list[Region]) -> str:
    """TOML text for regions, as `init --from` writes them."""
    out: list[str] = []
    for r in regions:
        out.append("[[render.regions]]")
        out.append(f'name = "{r.name}"')
        out.append(f'kind = "{r.kind}"')
        if r.group:
            out.append(f"group = {toml_str(r.group)}")
        if r.section:
            out.append(f"section = {toml_str(r.section)}")
        if r.kind == "letter-groups":
            out.append(f"heading_level = {r.heading_level}")
            out.append(f'sort = "{r.sort}"')
        if r.kind == "az-index":
            out.append(f"columns = {r.columns}")
        out.append("")
    return "\n".join(out)


def toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
