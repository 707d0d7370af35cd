"""The CLI's guards against an operator's mistakes and hostile arguments: a command that
works on a list run outside one, an unsupported database URL, an option smuggled in as a
git revision, a .listkeeperignore that is not UTF-8. Each: one line, exit 3, nothing
written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click
import pytest

from jobs.cli import cli as cli_group
from tests.readmes import cli

# Commands that need no list: they make one (init, demo), take the README as an argument
# (import, render), read one page (extract), or serve a queue whose runs carry their list
# (worker), or manage a catalog named on the command line (db upgrade).
WITHOUT_LIST = {"init", "import", "render", "extract", "demo", "worker", "db upgrade"}
ARGS = {
    "feeds add": ["https://blog.example/feed.xml"],
    "feeds import-opml": ["feeds.opml"],
    "candidates accept": ["1"],
    "candidates reject": ["1"],
}


def commands(group: click.Group = cli_group, prefix: str = "") -> list[str]:
    out = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            if getattr(command, "invoke_without_command", False):
                out.append(full)
            out += commands(command, f"{full} ")
        else:
            out.append(full)
    return out


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, no catalog named in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LISTKEEPER_DB", raising=False)
    return tmp_path


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("command", [c for c in commands() if c not in WITHOUT_LIST])
def test_every_command_that_works_on_a_list_says_there_is_none_here(
    command: str, here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("README.md").write_text("# L\n\n- [a](https://a.example/)\n")
    Path("feeds.opml").write_text("<opml/>")
    before = files(here)
    result = cli(capsys, *command.split(), *ARGS.get(command, []))
    assert result.code == 3, (command, result)
    assert result.err.strip() == (
        "listkeeper: error: no listkeeper.toml here: run `listkeeper init` to keep a list"
        " in this folder, or pass --config FILE"
    ), result.err
    assert files(here) == before  # no listkeeper.db, no report files


def test_the_exempt_commands_are_still_commands() -> None:
    assert set(commands()) >= WITHOUT_LIST


def test_discover_of_a_readme_that_does_not_exist_is_a_usage_error(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("listkeeper.toml").write_text("")
    result = cli(capsys, "discover", "NOPE.md")
    assert result.code == 3 and "NOPE.md" in result.err
    assert files(here) == ["listkeeper.toml"]


@pytest.mark.parametrize(
    "url",
    [
        "mysql://u:secret@db.example/list",
        "mysql+pymysql://u:secret@db.example/list",
        "oracle://db.example/list",
        "listkeeper.db",
        "redis://127.0.0.1:6379/0",
    ],
)
@pytest.mark.parametrize("via", ["--db", "env", "config"])
def test_an_unsupported_database_url_is_one_line(
    url: str,
    via: str,
    here: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = f'[catalog]\ndatabase = "{url}"\n' if via == "config" else ""
    Path("listkeeper.toml").write_text(config)
    if via == "env":
        monkeypatch.setenv("LISTKEEPER_DB", url)
    args = ["--db", url] if via == "--db" else []
    result = cli(capsys, *args, "report")
    assert result.code == 3, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "unsupported database URL" in lines[0], lines
    assert "secret" not in result.err
    assert files(here) == ["listkeeper.toml"]


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


@pytest.mark.parametrize(
    "ref",
    [
        "--output=out",  # git show writes "out:./README.md": into the folder a PR added
        "--output=stolen.txt",
        "--output=stolen.txt^{commit}",
        "-ostolen.txt",
        "--no-such-option",
        "no-such-branch",
        "HEAD~40",
        "HEAD:README.md",
        "",
    ],
)
def test_added_since_takes_a_commit_never_an_option(
    ref: str, here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(here / "gitconfig"))
    Path("README.md").write_text("# L\n\n- [a](https://a.example/)\n")
    Path("listkeeper.toml").write_text("")
    Path("out:.").mkdir()  # a pull request can add a folder of any name
    Path("out:./keep").write_text("")
    git(here, "init", "-q")
    git(here, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    git(here, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    before = files(here)
    result = cli(capsys, "check", f"--added-since={ref}", "README.md")
    assert result.code == 3, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("listkeeper: error: --added-since"), lines
    assert files(here) == before  # no stolen.txt, no catalog


@pytest.mark.parametrize(
    "raw",
    [b"^https://caf\xe9\\.example/\n", b"# comment\n\xff\xfe\n", b"\x80"],
)
def test_a_listkeeperignore_that_is_not_utf8_is_one_line_naming_the_line(
    raw: bytes, here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("listkeeper.toml").write_text("")
    Path("README.md").write_text("# L\n\n- [a](https://a.example/)\n")
    Path(".listkeeperignore").write_bytes(raw)
    assert cli(capsys, "import", "README.md").code == 0
    before = files(here)
    result = cli(capsys, "check")
    assert result.code == 3, result
    lines = result.err.strip().splitlines()
    line = raw[: next(i for i, b in enumerate(raw) if b >= 0x80)].count(b"\n") + 1
    assert len(lines) == 1 and f".listkeeperignore:{line}: not UTF-8" in lines[0], lines
    assert files(here) == before
