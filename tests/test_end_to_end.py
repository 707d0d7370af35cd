"""`listkeeper run` twice, a day apart on an injected clock: the README, the report, and
the one pull request, which the second run updates."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from jobs.offlineweb.wiring import check_toml
from tests import githubapi
from tests.readmes import cli

TOKEN = "ghp_EndToEndT0ken0000000000000000"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Maintainer", "-c", "user.email=m@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_run_twice_updates_one_pull_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    web = Web()
    host = web.host("127.0.1.9")
    host.page("/ok", Page(body="<title>Fine</title><p>A fine article.</p>"))
    host.page("/old", Page(status=301, location="/new"))
    host.page("/new", Page(body="<title>New home</title><p>Moved here.</p>"))
    with OfflineWeb(web) as ow, githubapi.serve(TOKEN) as api:
        ok, old, gone = (ow.url("127.0.1.9", p) for p in ("/ok", "/old", "/gone"))
        readme = f"# List\n\n## Links\n\n- [Fine]({ok})\n- [Moved]({old})\n- [Gone]({gone})\n"
        config = (
            f'[pr]\nrepo = "octo/list"\nbase = "main"\ndead = "mark"\napi_url = "{api.url}"\n\n'
            + check_toml(ow, allow_networks=["127.0.1.0/24"])
        )
        remote, clone = tmp_path / "remote.git", tmp_path / "clone"
        git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
        git(tmp_path, "clone", "-q", str(remote), str(clone))
        (clone / "README.md").write_text(readme)
        (clone / "listkeeper.toml").write_text(config)
        (clone / ".gitignore").write_text("listkeeper.db*\nreports/\n")
        git(clone, "add", ".")
        git(clone, "commit", "-q", "-m", "the list")
        git(clone, "push", "-q", "origin", "HEAD:refs/heads/main")
        monkeypatch.chdir(clone)

        monkeypatch.setenv("LISTKEEPER_NOW", "2026-03-01T04:17:00+00:00")
        first = cli(capsys, "run", "--report-dir", "reports")
        assert first.code == 0, first.err  # the 404 is failing, not dead, after one check
        report = json.loads(Path("reports/report.json").read_text())
        assert {link["url"]: link["status"] for link in report["links"]}[gone] == "failing"
        assert [r.method for r in api.state.calls("POST")] == ["POST"]
        branch = git(remote, "show", "listkeeper/update:README.md")
        assert f"- [Moved]({ow.url('127.0.1.9', '/new')})" in branch  # the redirect rewritten
        assert "dead link" not in branch

        monkeypatch.setenv("LISTKEEPER_NOW", "2026-03-02T04:17:00+00:00")  # a day later
        second = cli(capsys, "run", "--report-dir", "reports")
        assert second.code == 2, second.err  # two 404s, 24 hours apart: dead
        report = json.loads(Path("reports/report.json").read_text())
        assert {link["url"]: link["status"] for link in report["links"]}[gone] == "dead"
        assert len(api.state.calls("POST")) == 1  # no second pull request...
        patches = api.state.calls("PATCH")
        assert patches and "dead" in json.dumps(patches[-1].body)  # ...the same one, updated
        branch = git(remote, "show", "listkeeper/update:README.md")
        assert f"- [Gone]({gone}) *(dead link)*" in branch
        assert ow.count(ok) == 2  # each run checked what was due, once
    assert TOKEN not in first.out + first.err + second.out + second.err
