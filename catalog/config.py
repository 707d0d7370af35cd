"""``listkeeper.toml``: one typed schema, loaded once, with one clear error when wrong.

Every table and key of the file is a field below, with its type, its bounds and its
default: this module is the one table of defaults. Adding a key is one line in its table's
class; a new table is a class and one line in ``File``. Loading converts the TOML with
msgspec (strict: no "2" for 2, no string for a list; unknown keys and tables refused),
then runs each table's own checks (``__post_init__``); any error becomes one line that
names the file, the key, what is wrong and what to write instead (``ConfigError``, exit 3).

msgspec rather than pydantic: the schema is read by every command, and a cron run of a
small list is mostly start-up (msgspec adds ~7 ms of imports; pydantic ~40 ms, plus the
models' build; ``bench/startup.py``).
"""

from __future__ import annotations

import json
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

from catalog.errors import ConfigError

T = TypeVar("T")
DEFAULT_PATH = Path("listkeeper.toml")
RegionKind = Literal["az-index", "letter-groups", "link-table"]
REGION_KINDS: tuple[str, ...] = typing.get_args(RegionKind)
Sort = Literal["title", "position"]  # the order in the README / of acceptance
SORTS: tuple[str, ...] = typing.get_args(Sort)
DeadPolicy = Literal["keep", "mark", "archive"]
DEAD_POLICIES: tuple[str, ...] = typing.get_args(DeadPolicy)
ArchivedPolicy = Literal["keep", "mark", "remove"]  # links to archived GitHub repositories
ARCHIVED_POLICIES: tuple[str, ...] = typing.get_args(ArchivedPolicy)

PositiveInt = Annotated[int, Meta(ge=1)]
NonNegative = Annotated[float, Meta(ge=0)]
HttpStatus = Annotated[int, Meta(ge=100, le=599)]
NonEmpty = Annotated[str, Meta(min_length=1, pattern=r"\S")]

DEFAULT_TTL_HOURS = 20.0  # a daily run re-checks what was checked the day before
DEFAULT_BATCH_SIZE = 500  # rows per catalog transaction (SQLite: 0.2 s per 10,000 rows)


class Table(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A table of the file: only its own keys, each of its own type."""


class ReadmeTable(Table):
    path: NonEmpty = "README.md"


class CatalogTable(Table):
    database: NonEmpty | None = None  # env LISTKEEPER_DB and --db win


class Region(Table):
    """A managed part of the README, between ``listkeeper:begin/end NAME`` markers."""

    name: str  # a word: it is written in the markers
    kind: RegionKind
    group: str = ""  # letter groups: the suffix of "<L> <group>" headings ("companies")
    section: str = ""  # link tables: the heading whose entries fill the table
    heading_level: Annotated[int, Meta(ge=1, le=6)] = 4  # Markdown has h1 to h6
    sort: Sort = "title"
    columns: PositiveInt = 9  # A–Z index: cells per row
    header: tuple[str, ...] = ("Title", "Link(s)")  # link tables
    template: str = ""  # a template name overriding the kind's default

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\S+", self.name):
            raise ValueError(f'name = {self.name!r}: a word without spaces, e.g. name = "books"')
        if self.kind in ("az-index", "letter-groups") and not self.group.strip():
            raise ValueError(f'kind = "{self.kind}" needs `group`, e.g. group = "companies"')
        if self.kind == "link-table" and not self.section.strip():
            raise ValueError('kind = "link-table" needs `section`, e.g. section = "Books"')


class RenderTable(Table):
    templates: NonEmpty | None = None  # a folder of templates overriding the built-in ones
    regions: tuple[Region, ...] = ()

    def __post_init__(self) -> None:
        names = [r.name for r in self.regions]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"two [[render.regions]] are named {twice[0]!r}: rename one")


class Verdicts(Table):
    dead_after_checks: PositiveInt = 2  # permanent failures in a row before "dead"...
    dead_after_hours: NonNegative = DEFAULT_TTL_HOURS  # ...spread over at least this long
    transient_dead_after_days: NonNegative = 7.0  # timeouts, 5xx, 429: dead after days


class HostTable(Table):
    """``[check.hosts."NAME"]``: politeness and what counts as healthy for one host."""

    concurrency: PositiveInt | None = None  # requests in flight (default: 2 per host)
    delay: NonNegative | None = None  # seconds between requests
    accept: tuple[HttpStatus, ...] = ()  # statuses that count as healthy here
    headers: dict[str, str] = {}


class CheckTable(Table):
    ttl_hours: NonNegative = DEFAULT_TTL_HOURS
    exclude: tuple[str, ...] = ()  # regexes; also one per line in .listkeeperignore
    remap: tuple[str, ...] = ()  # "PATTERN REPLACEMENT": URL as written → URL fetched
    unmap: tuple[str, ...] = ()  # the way back: URL fetched → URL reported and written
    allow_networks: tuple[str, ...] = ()  # networks allowed past the private-address guard
    processes: Annotated[int, Meta(ge=1, le=64)] | None = None  # default: per core, 1,000+
    batch_size: PositiveInt = DEFAULT_BATCH_SIZE
    round_links: PositiveInt = 50_000  # due links per crawl round: bounds a check's memory
    hosts: dict[str, HostTable] = {}
    settings: dict[str, Any] = {}  # raw Scrapy settings (crawler.settings checks them)
    changed: bool = True  # read pages on every check: parked, for-sale, replaced pages

    def __post_init__(self) -> None:
        import ipaddress

        for net in self.allow_networks:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(
                    f"allow_networks: {net!r} is not an address or ADDRESS/PREFIX network;"
                    ' e.g. "10.0.0.0/8" or "fd00::/8"'
                ) from None
        for pattern in self.exclude:
            _pattern(pattern, "exclude")
        for key in ("remap", "unmap"):
            for rule in getattr(self, key):
                _pattern(rule, key, rule=True)


DEFAULT_BRANCH = "listkeeper/update"
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_WAYBACK_API = "https://web.archive.org"
DEFAULT_AUTHOR = "listkeeper <listkeeper@users.noreply.github.com>"
DEFAULT_TITLE = "listkeeper: update the list"


class PrSettings(Table):
    """``[pr]``: the one bot pull request (catalog.pullrequest)."""

    repo: str | None = None  # "owner/name"; None: from the remote's URL
    base: NonEmpty | None = None  # None: the remote's default branch
    branch: NonEmpty = DEFAULT_BRANCH
    remote: NonEmpty = "origin"
    api_url: NonEmpty = DEFAULT_API_URL  # default: [github] api_url, if set
    title: NonEmpty = DEFAULT_TITLE
    author: NonEmpty = DEFAULT_AUTHOR
    rewrite_redirects: bool = True
    dead: DeadPolicy = "keep"
    archived: ArchivedPolicy = "mark"  # archived GitHub repositories
    add_candidates: bool = True
    wayback_api: NonEmpty = DEFAULT_WAYBACK_API  # the Wayback Machine (its CDX server)
    repair_mojibake: bool = True  # mojibake outside code repaired in the proposed README

    def __post_init__(self) -> None:
        if self.repo is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", self.repo):
            raise ValueError(f'repo must be "owner/name", not {self.repo!r}')
        if not self.author_email:
            raise ValueError('author must read "Name <email>"')
        for key in ("api_url", "wayback_api"):
            if urlsplit(getattr(self, key)).scheme not in ("http", "https"):
                raise ValueError(f"{key} must be an http(s) URL")

    @property
    def author_name(self) -> str:
        from email.utils import parseaddr  # ~40 ms of imports: only where [pr] is read

        return parseaddr(self.author)[0] or "listkeeper"

    @property
    def author_email(self) -> str:
        from email.utils import parseaddr

        return parseaddr(self.author)[1]


DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_WEB_HOSTS = ("github.com", "www.github.com")


class GitHubSettings(Table):
    """``[github]``: repository facts through the GraphQL API (catalog.repos)."""

    api_url: NonEmpty = DEFAULT_GITHUB_API_URL  # REST base; GraphQL is beside it
    stale_after_days: PositiveInt = 365
    reject_archived: bool = True  # check --added-since fails a PR adding one
    batch_size: Annotated[int, Meta(ge=1, le=100)] = 100  # GitHub's connections cap at 100
    max_wait_seconds: NonNegative = 60.0  # a rate limit resetting later leaves the rest due

    def __post_init__(self) -> None:
        if urlsplit(self.api_url).scheme not in ("http", "https"):
            raise ValueError(f"api_url must be an http(s) URL, not {self.api_url!r}")

    @property
    def graphql_url(self) -> str:
        return graphql_url(self.api_url)

    @property
    def web_hosts(self) -> tuple[str, ...]:
        """The hosts whose repository links the API answers for: github.com, or the
        Enterprise Server the API URL belongs to."""
        host = urlsplit(self.api_url).hostname or ""
        if self.api_url.rstrip("/") == DEFAULT_GITHUB_API_URL or host == "api.github.com":
            return DEFAULT_WEB_HOSTS
        return (*DEFAULT_WEB_HOSTS, host)


def graphql_url(api_url: str) -> str:
    """GraphQL beside a REST base: ``{api_url}/graphql``; GitHub Enterprise Server's REST
    base ends in ``/api/v3`` and its GraphQL is ``/api/graphql``."""
    base = api_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base[: -len("/v3")] + "/graphql"
    return base + "/graphql"


class ReportTable(Table):
    dir: NonEmpty = "."  # where `run` writes its reports
    wayback: bool = True  # the HTML report links dead links to their archived copies


class ScheduledJob(Table):
    cron: NonEmpty  # "MIN HOUR DOM MON DOW" (or six fields, seconds first)
    args: tuple[str, ...] | None = None  # the command's arguments; default: [NAME]


class ScheduleTable(Table):
    jobs: dict[str, ScheduledJob] = {}


class File(Table):
    """The whole of listkeeper.toml."""

    readme: ReadmeTable = msgspec.field(default_factory=ReadmeTable)
    catalog: CatalogTable = msgspec.field(default_factory=CatalogTable)
    render: RenderTable = msgspec.field(default_factory=RenderTable)
    verdicts: Verdicts = msgspec.field(default_factory=Verdicts)
    check: CheckTable = msgspec.field(default_factory=CheckTable)
    pr: PrSettings | None = None  # None: no [pr] table, `run` opens no pull request
    report: ReportTable = msgspec.field(default_factory=ReportTable)
    github: GitHubSettings = msgspec.field(default_factory=GitHubSettings)
    schedule: ScheduleTable = msgspec.field(default_factory=ScheduleTable)


@dataclass(frozen=True)
class Config:
    """The file as loaded: its tables, and the paths resolved against its folder."""

    path: Path | None = None
    readme: Path = Path("README.md")
    database: str | None = None
    templates: Path | None = None  # a folder of templates overriding the built-in ones
    regions: tuple[Region, ...] = ()
    verdicts: Verdicts = field(default_factory=Verdicts)
    tables: File = field(default_factory=File)
    raw: dict[str, Any] = field(default_factory=dict)  # the TOML as read

    def region(self, name: str) -> Region | None:
        return next((r for r in self.regions if r.name == name), None)

    @property
    def check(self) -> CheckTable:
        return self.tables.check

    @property
    def where(self) -> str:
        """The file's name for messages."""
        return str(self.path or DEFAULT_PATH)


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
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read it: {exc.strerror or exc}") from exc
    return parse(data, file)


def parse(data: dict[str, Any], file: Path | str | None = None) -> Config:
    """The typed config of a parsed TOML document; ``file`` names it in errors."""
    where = str(file or DEFAULT_PATH)
    tables = convert(data, File, where)
    if tables.pr is not None and "api_url" not in data.get("pr", {}):
        tables.pr.api_url = tables.github.api_url  # one setting for the API
    base = Path(file).parent if isinstance(file, Path) else Path(".")
    return Config(
        path=file if isinstance(file, Path) else None,
        readme=base / tables.readme.path,
        database=tables.catalog.database,
        templates=base / tables.render.templates if tables.render.templates else None,
        regions=tables.render.regions,
        verdicts=tables.verdicts,
        tables=tables,
        raw=data,
    )


def convert(data: Any, schema: type[T], where: str) -> T:
    """``data`` as ``schema``, or a ConfigError naming ``where``, the key and the fix."""
    try:
        return msgspec.convert(data, schema, strict=True)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{where}: {explain(str(exc), data, schema)}") from None


# --- regular expressions ----------------------------------------------------------------


def _pattern(pattern: str, key: str, *, rule: bool = False) -> None:
    """A regex of the config (or a rule's, ``PATTERN REPLACEMENT``) must compile, with the
    engine the check uses (imported here: only a config with patterns pays for RE2)."""
    from catalog.patterns import PatternError, compile_pattern, split_rule

    try:
        compile_pattern(split_rule(pattern)[0] if rule else pattern)
    except PatternError as exc:
        raise ValueError(f"{key}: {exc}") from None


# --- errors: msgspec's message, said in the file's terms ------------------------------

_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_NAMES = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "bool": "true or false",
    "array": "an array",
    "object": "a table",
    "null": "nothing",
}


def explain(message: str, data: Any, schema: type) -> str:
    """One line: ``[table] key = value: what is wrong; e.g. key = DEFAULT``."""
    m = _AT.match(message)
    what, path = (m["what"], m["path"] or "") if m else (message, "")
    steps: list[str | int | None] = []  # a key, an index, or None for "a key of a dict"
    for name, index in _STEP.findall(path):
        steps.append(name or (None if index == "..." else int(index)))
    # Walk the data and the schema side by side: the value given, the type wanted there.
    names: list[str] = []  # the table's dotted name, TOML's way
    label = ""  # within an array of tables: "[[render.regions]] #2 (name)"
    key: str | None = None  # the key, when the error is about one key's value
    value: Any = data
    kind: Any = schema
    owner: Any = None  # the table class that holds `key`
    about_value = what.startswith(("Expected", "Invalid enum"))  # not a table's keys
    for i, step in enumerate(steps):
        kind = _unwrap(kind)
        if isinstance(step, str):
            fields = _fields(kind) or {}
            last = i == len(steps) - 1
            if (last and about_value) or not _is_table(fields.get(step, Any)):
                key, owner = step, kind  # a value, not a table: the key in error
            else:
                names.append(step)
            value = value.get(step) if isinstance(value, dict) else None
            kind = fields.get(step, Any)
        elif isinstance(step, int):
            item = _item_type(kind)
            if _fields(_unwrap(item)) is None:
                break  # an element of an array of values: the whole array is shown
            label = f"[[{'.'.join(names)}]] #{step + 1}{_region_label(value, step)} "
            names = []
            value = value[step] if isinstance(value, list) and step < len(value) else None
            kind = item
        else:  # a value of a dict msgspec does not name: find the key whose value is wrong
            kind = _item_type(kind)
            bad = _bad_key(value, kind)
            names.append(json.dumps(bad) if bad is not None and "." in bad else bad or "…")
            value = value.get(bad) if isinstance(value, dict) and bad is not None else None
    table = label + (f"[{'.'.join(names)}] " if names else "")
    unknown = re.fullmatch(r"Object contains unknown field `(.*)`", what)
    if unknown:
        name = unknown[1]
        choices = list(_fields(_unwrap(kind)) or {})
        if not steps:
            if isinstance(data.get(name), dict):
                return f"unknown table [{name}]{_did_you_mean(name, choices, '[', ']')}"
            return f"unknown key `{name}` outside any table{_did_you_mean(name, choices, '[', ']')}"
        return f"{table}unknown key `{name}`{_did_you_mean(name, choices, '`', '`')}"
    missing = re.fullmatch(r"Object missing required field `(.*)`", what)
    if missing:
        return f"{table}`{missing[1]}` is required"
    if key is None and not what.startswith(("Expected", "Invalid")):
        return f"{table}{what}"  # a table's own check: its message names the key
    subject = (table + (key or "")).strip() or "the file"
    shown = f" = {_toml(value)}" if key is not None and value is not None else ""
    return f"{subject}{shown}: {_reason(what, kind)}{_example(key, owner)}"


def _is_table(kind: Any) -> bool:
    """A table, a dict of tables or an array of tables (a key in error is inside it)."""
    kind = _unwrap(kind)
    if _fields(kind) is not None:
        return True
    origin = typing.get_origin(kind)
    return origin is dict or (origin is tuple and _fields(_unwrap(_item_type(kind))) is not None)


def _reason(what: str, kind: Any) -> str:
    enum = re.fullmatch(r"Invalid enum value (.*)", what)
    if enum:
        choices = typing.get_args(_unwrap(kind))
        return f"must be one of {', '.join(map(str, choices))}, not {enum[1]}"
    expected = re.fullmatch(r"Expected `([^`]*)`(.*)", what)
    if expected:
        names = " or ".join(_NAMES.get(t.strip(), t.strip()) for t in expected[1].split("|"))
        rest = re.sub(r"`(\w+)`", lambda t: _NAMES.get(t[1], t[1]), expected[2])
        said = f"expected {names}{rest.replace(', got', ', not')}"
        return re.sub(
            r"a string (of length >= 1|matching regex '[^']*')", "a non-blank string", said
        )
    return what[0].lower() + what[1:] if what else what


def _example(key: str | None, owner: Any) -> str:
    """``; e.g. key = DEFAULT`` where the field has a default worth showing."""
    if key is None or _fields(owner) is None:
        return ""
    for f in msgspec.structs.fields(owner):
        if f.name == key and f.default not in (msgspec.NODEFAULT, None, "", (), {}):
            return f"; e.g. {key} = {_toml(f.default)}"
    return ""


def _unwrap(kind: Any) -> Any:
    """The type behind Annotated and ``X | None``."""
    while True:
        if typing.get_origin(kind) is Annotated:
            kind = typing.get_args(kind)[0]
            continue
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if typing.get_origin(kind) in (typing.Union, type(int | None)) and len(args) == 1:
            kind = args[0]
            continue
        return kind


def _fields(kind: Any) -> dict[str, Any] | None:
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        hints = typing.get_type_hints(kind, include_extras=True)
        return {f: hints[f] for f in kind.__struct_fields__}
    return None


def _item_type(kind: Any) -> Any:
    """The type of an array's elements or of a dict's values."""
    kind = _unwrap(kind)
    args = typing.get_args(kind)
    if not args:
        return Any
    return args[-1] if typing.get_origin(kind) is dict else args[0]


def _bad_key(value: Any, item: Any) -> str | None:
    """The first key of a dict whose value ``item`` refuses (msgspec says ``[...]``)."""
    if not isinstance(value, dict):
        return None
    for k, v in value.items():
        try:
            msgspec.convert(v, item, strict=True)
        except msgspec.ValidationError:
            return str(k)
    return None


def _region_label(value: Any, index: int) -> str:
    if isinstance(value, list) and index < len(value) and isinstance(value[index], dict):
        name = value[index].get("name")
        if isinstance(name, str):
            return f" ({name})"
    return ""


def _did_you_mean(name: str, choices: list[str], left: str, right: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        return f": did you mean {left}{close[0]}{right}?"
    return f"; known: {', '.join(choices)}" if choices else ""


def _toml(value: Any) -> str:
    """A value as TOML writes it (JSON's strings, numbers, arrays; TOML's booleans)."""
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        return repr(value)


# --- init --from -------------------------------------------------------------------------


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
