"""listkeeper.toml: every key of the schema, given a wrong type or a wrong bound, and every
table, given an unknown key, is refused with one line naming the file and the key.

The cases are generated from the schema itself (catalog.config.File and the tables under
it): a key added to the schema is covered here without a line of test.
"""

from __future__ import annotations

import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest

from catalog import config
from catalog.errors import ConfigError
from tests.readmes import cli

# What a table needs to be valid besides the key under test.
REQUIRED: dict[type, dict[str, Any]] = {
    config.Region: {"name": "r", "kind": "az-index", "group": "g"},
    config.ScheduledJob: {"cron": "17 4 * * *"},
}


def _unwrap(kind: Any) -> tuple[Any, list[msgspec.Meta]]:
    metas: list[msgspec.Meta] = []
    while True:
        if typing.get_origin(kind) is Annotated:
            kind, *extra = typing.get_args(kind)
            metas += [m for m in extra if isinstance(m, msgspec.Meta)]
            continue
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if typing.get_origin(kind) in (typing.Union, type(int | None)) and len(args) == 1:
            kind = args[0]
            continue
        return kind, metas


def _struct(kind: Any) -> type[msgspec.Struct] | None:
    return kind if isinstance(kind, type) and issubclass(kind, msgspec.Struct) else None


def wrong_values(kind: Any) -> list[Any]:
    """Values of the wrong type for a field of type ``kind``, then values out of bounds."""
    base, metas = _unwrap(kind)
    origin = typing.get_origin(base)
    if base is bool:
        values: list[Any] = ["yes", 1]
    elif base is int:
        values = ["two", 2.5, True]
    elif base is float:
        values = ["x", True]
    elif base is str:
        values = [5, True, ["a"]]
    elif origin is tuple:
        item, _ = _unwrap(typing.get_args(base)[0])
        values = ["a string", 5, [5] if item is str else ["x"]]
    elif origin is dict or _struct(base):
        values = [5, "a string", ["x"]]
    elif origin is typing.Literal:
        values = ["nope", 1]
    else:
        return []  # Any: raw Scrapy settings, checked by crawler.settings
    for meta in metas:
        if meta.ge is not None:
            values.append(meta.ge - 1)
        if meta.le is not None:
            values.append(meta.le + 1)
        if meta.min_length:
            values.append("")
    return values


def places(
    struct: type[msgspec.Struct] = config.File, wrap: Any = None
) -> Iterator[tuple[str, type[msgspec.Struct], Any]]:
    """Every table of the schema: (its name, its class, a function that puts a table of
    values where it belongs in a whole file)."""
    wrap = wrap or (lambda table: table)
    yield struct.__name__, struct, wrap
    hints = typing.get_type_hints(struct, include_extras=True)
    for name in struct.__struct_fields__:
        kind, _ = _unwrap(hints[name])
        origin = typing.get_origin(kind)
        inner = kind
        if origin is tuple or origin is dict:
            inner, _ = _unwrap(typing.get_args(kind)[-1 if origin is dict else 0])
        child = _struct(inner)
        if child is None:
            continue

        def put(table: dict[str, Any], name: str = name, origin: Any = origin) -> Any:
            if origin is tuple:
                table = [table]
            elif origin is dict:
                table = {"some.host": table}
            return wrap({name: table})

        yield from places(child, put)


def cases() -> Iterator[Any]:
    for table_name, struct, put in places():
        hints = typing.get_type_hints(struct, include_extras=True)
        for key in struct.__struct_fields__:
            for value in wrong_values(hints[key]):
                data = put({**REQUIRED.get(struct, {}), key: value})
                yield pytest.param(data, key, id=f"{table_name}.{key}={value!r}")


@pytest.mark.parametrize(("data", "key"), list(cases()))
def test_every_key_with_a_wrong_type_or_bound_is_refused_naming_file_and_key(
    data: dict[str, Any], key: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        config.parse(data, Path("conf/odd.toml"))
    message = str(caught.value)
    assert message.startswith("conf/odd.toml: "), message
    assert key in message and "\n" not in message, message


def test_the_cases_cover_every_table_and_key() -> None:
    tables = {name for name, _, _ in places()}
    assert {"File", "CheckTable", "HostTable", "Region", "PrSettings", "ScheduledJob"} <= tables
    keys = {c.id.split("=")[0] for c in cases()}  # type: ignore[attr-defined]
    assert len(keys) >= 50, sorted(keys)


@pytest.mark.parametrize(
    ("struct", "put"), [pytest.param(s, p, id=n) for n, s, p in places() if s is not config.File]
)
def test_every_table_refuses_an_unknown_key_with_did_you_mean(
    struct: type[msgspec.Struct], put: Any
) -> None:
    key = struct.__struct_fields__[-1]
    typo = key[:-1] if len(key) > 3 else key + "s"
    with pytest.raises(ConfigError, match=f"unknown key `{typo}`: did you mean `{key}`"):
        config.parse(put({**REQUIRED.get(struct, {}), typo: 1}))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[readmee]\npath = 'x'\n", "unknown table [readmee]: did you mean [readme]?"),
        ("[verdicts]\ndead_after_check = 2\n", "did you mean `dead_after_checks`?"),
        ('[verdicts]\ndead_after_checks = "two"\n', '[verdicts] dead_after_checks = "two"'),
        ('[check]\nexclude = "^https://"\n', '[check] exclude = "^https://": expected an array'),
        ("[check]\nhosts = 5\n", "[check] hosts = 5: expected a table"),
        ('[check]\nallow_networks = ["10.0.0.0/33"]\n', "'10.0.0.0/33' is not an address"),
        ('[check]\nallow_networks = "10.0.0.0/8"\n', "expected an array"),
        ('[check.hosts."a.example"]\ndelay = -1\n', '[check.hosts."a.example"] delay = -1'),
        (
            '[[render.regions]]\nname = "c"\nkind = "letter-groups"\ngroup = "c"\n'
            "heading_level = 0\n",
            "[[render.regions]] #1 (c) heading_level = 0: expected an integer >= 1",
        ),
        (
            '[[render.regions]]\nname = "c"\nkind = "az-index"\ngroup = "c"\ncolumns = 0\n',
            "columns = 0: expected an integer >= 1; e.g. columns = 9",
        ),
        ('[check]\nexclude = ["(unclosed"]\n', "[check] exclude: bad regular expression"),
    ],
)
def test_the_reported_cases_read_well(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text: str,
    said: str,
) -> None:
    """Through the CLI: exit 3, one line on stderr naming the file given with --config and
    the key, and nothing written (no catalog, no crawl)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "lk.toml").write_text(text)
    (tmp_path / "README.md").write_text("# L\n\n- [a](https://a.example/)\n")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = cli(capsys, "--config", "conf/lk.toml", "report")
    assert result.code == 3, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "conf/lk.toml: " in lines[0] and said in lines[0], lines
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


# -- regular expressions: linear time, or refused with the reason -------------------------

EVIL = [r"(a+)+$", r"(a|aa)+$", r"(a*)*b", r"^(\w+\s?)*$"]


@pytest.mark.parametrize("pattern", EVIL)
def test_a_catastrophic_pattern_answers_at_once(pattern: str) -> None:
    """Python's re backtracks for ever on these; the check's engine must not. Run in a
    child bounded by a timeout: a hang fails the test instead of the suite."""
    code = (
        "from catalog.patterns import compile_pattern\n"
        f"p = compile_pattern({pattern!r})\n"
        "print(p.search('https://a.example/' + 'a' * 50_000 + '!') is None)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() in ("True", "False") and not done.stderr


@pytest.mark.parametrize(
    "pattern", [r"(?<=a)b", r"(?<!a)b", r"x(?=y)", r"x(?!y)", r"(a)\1", r"(?P<n>a)(?P=n)"]
)
def test_what_the_engine_cannot_run_is_refused_with_the_reason(
    pattern: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ConfigError, match="no lookarounds or backreferences"):
        config.parse({"check": {"exclude": [pattern]}})
    with pytest.raises(ConfigError, match=r"\[check\] remap: bad regular expression"):
        config.parse({"check": {"remap": [f"{pattern} https://x.example/"]}})
    # In .listkeeperignore: the file and line named, one line on stderr, exit 3.
    monkeypatch.chdir(tmp_path)
    Path("listkeeper.toml").write_text("")
    Path("README.md").write_text("# L\n\n- [a](docs/a.md)\n")
    Path(".listkeeperignore").write_text(f"# ignored\n^https://ok\\.example/\n{pattern}\n")
    assert cli(capsys, "import", "README.md").code == 0
    result = cli(capsys, "check")
    assert result.code == 3, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and ".listkeeperignore:3: bad regular expression" in lines[0], lines


def test_replacements_keep_python_syntax() -> None:
    rules = config.parse({"check": {"remap": [r"^https?://(old)\.example/ https://\1.test/"]}})
    from catalog.urls import parse_rules, rewrite

    compiled = parse_rules(list(rules.check.remap), "remap")
    assert rewrite("http://old.example/p", compiled) == "https://old.test/p"


# -- [check.settings]: what Scrapy cannot use ----------------------------------------------


def _typed_settings() -> dict[str, Any]:
    from crawler.settings import SETTINGS, scrapy_defaults

    known = {**scrapy_defaults(), **SETTINGS}
    return {k: v for k, v in known.items() if v is not None and isinstance(v, _SCALARS)}


_SCALARS = (bool, int, float, str, dict, list, tuple)


def _wrong(default: Any) -> Any:
    if isinstance(default, bool):
        return "yes"
    if isinstance(default, int | float | dict | list | tuple):
        return "x"
    return 5  # a string setting


def test_every_typed_scrapy_setting_with_a_wrong_type_is_refused() -> None:
    from crawler.settings import settings_problem

    typed = _typed_settings()
    assert len(typed) > 100  # Scrapy's defaults were read
    for key, default in typed.items():
        problem = settings_problem({key: _wrong(default)})
        assert problem is not None and problem.startswith(f"{key} = "), (key, problem)


def test_every_setting_name_with_a_typo_says_did_you_mean() -> None:
    from crawler.settings import OWN_SETTINGS, settings_problem

    names = set(_typed_settings()) | OWN_SETTINGS
    for name in names:
        typo = name[:-1]
        if typo in names or len(name) < 8:
            continue
        assert "did you mean" in (settings_problem({typo: 1}) or ""), name


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ('DOWNLOAD_TIMEOUT = "x"', 'DOWNLOAD_TIMEOUT = "x": expected a number'),
        ("DOWNLOAD_TIMOUT = 3", "unknown setting `DOWNLOAD_TIMOUT`: did you mean"),
        ('ROBOTSTXT_OBEY = "no"', 'ROBOTSTXT_OBEY = "no": expected true or false'),
        ("download_timeout = 3", "`download_timeout` is not a Scrapy setting name"),
        ("RETRY_HTTP_CODES = 500", "RETRY_HTTP_CODES = 500: expected an array"),
    ],
)
def test_check_settings_scrapy_cannot_use_stop_the_command(
    settings: str,
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("lk.toml").write_text(f"[check.settings]\n{settings}\nMYADDON_LIMIT = 3\n")
    Path("README.md").write_text("# L\n\n- [a](docs/a.md)\n")
    result = cli(capsys, "--config", "lk.toml", "check")
    assert result.code == 3, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "lk.toml: [check.settings] " in lines[0] and said in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "lk.toml"]


# -- a group no heading knows ---------------------------------------------------------------

GROUPED = (
    "# L\n\n<!-- listkeeper:begin idx -->\n<!-- listkeeper:end idx -->\n\n"
    "<!-- listkeeper:begin companies -->\n#### A companies\n\n- [Acme](https://acme.test/)\n\n"
    "#### B companies\n\n- [Bolt](https://bolt.test/)\n<!-- listkeeper:end companies -->\n"
)


@pytest.mark.parametrize("kind", ["az-index", "letter-groups"])
@pytest.mark.parametrize("group", ["companys", "Companie", "people"])
def test_a_group_no_heading_or_region_knows_stops_render(
    kind: str,
    group: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    index_group = group if kind == "az-index" else "companies"
    letters_group = group if kind == "letter-groups" else "companies"
    index = f'name = "idx"\nkind = "az-index"\ngroup = "{index_group}"\n'
    groups = f'name = "companies"\nkind = "letter-groups"\ngroup = "{letters_group}"\n'
    Path("listkeeper.toml").write_text(f"[[render.regions]]\n{index}\n[[render.regions]]\n{groups}")
    Path("README.md").write_text(GROUPED)
    assert cli(capsys, "import", "README.md").code == 0
    result = cli(capsys, "render", "README.md")
    assert result.code == 3, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and f'group = "{group}" names no letter heading' in lines[0], lines
    assert Path("README.md").read_text() == GROUPED
    if group != "people":
        assert 'did you mean group = "companies"?' in lines[0]


def test_every_toml_example_of_the_readme_passes_the_schema() -> None:
    """The README documents the file: each of its ```toml blocks must load as written."""
    import re
    import tomllib

    from crawler.settings import settings_problem

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, flags=re.S)
    assert len(blocks) >= 3
    for block in blocks:
        loaded = config.parse(tomllib.loads(block), Path("README.md"))
        assert settings_problem(loaded.check.settings) is None, block
