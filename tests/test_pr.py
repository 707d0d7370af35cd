"""``listkeeper pr``: a bare repository as the remote, a real clone, a local GitHub API."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from catalog import db
from catalog import pullrequest as prlogic
from catalog.errors import ConfigError, ListkeeperError
from catalog.importer import import_readme
from catalog.models import Link, PageMetadata, Run
from catalog.vocabulary import LinkStatus
from jobs import pr as pr_job
from jobs.context import Context
from jobs.github import Redactor
from tests import githubapi
from tests.conftest import needs_shared, shared_path

TOKEN = "ghp_S3cr3tT0kenValue1234567890"
BOT = "listkeeper@users.noreply.github.com"

README = """\
# Reading list

## Articles

- [Moved](https://moved.example/old) - a classic
- [Gone](https://gone.example/page)
- [Kept](https://kept.example/old) <!-- listkeeper:ignore new page is paywalled until 2999-01-01 -->
- [Fine](https://fine.example/)
"""

CONFIG = """\
[readme]
path = "README.md"

[pr]
repo = "octo/list"
base = "main"
dead = "mark"
title = "listkeeper: update the list"
"""


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Maintainer", "-c", "user.email=m@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@dataclass
class Workspace:
    root: Path
    remote: Path
    clone: Path
    db_url: str

    def ctx(self) -> Context:
        return Context(config_path=self.clone / "listkeeper.toml", db_url=self.db_url)

    def set_status(self, url: str, status: LinkStatus, final_url: str | None = None) -> None:
        with db.session_scope(db.make_engine(self.db_url)) as s:
            link = s.scalar(select(Link).where(Link.url == url))
            assert link is not None, url
            link.status, link.final_url = status, final_url

    def remote_heads(self) -> dict[str, str]:
        out = git(self.root, "ls-remote", "--heads", str(self.remote))
        return {ref.removeprefix("refs/heads/"): sha for sha, ref in _pairs(out)}

    def branch_readme(self) -> str:
        return git(self.remote, "show", "listkeeper/update:README.md")


def _pairs(out: str) -> list[tuple[str, str]]:
    return [(line.split("\t")[0], line.split("\t")[1]) for line in out.splitlines() if line]


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog_url: str) -> Workspace:
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(remote))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(remote), str(clone))
    (clone / "README.md").write_text(README, encoding="utf-8")
    (clone / "listkeeper.toml").write_text(CONFIG, encoding="utf-8")
    git(clone, "add", "README.md", "listkeeper.toml")
    git(clone, "commit", "--quiet", "-m", "the list")
    git(clone, "push", "--quiet", "origin", "HEAD:refs/heads/main")
    monkeypatch.chdir(clone)
    db_url = catalog_url
    db.upgrade(db_url)
    with db.session_scope(db.make_engine(db_url)) as s:
        import_readme(s, clone / "README.md")
    w = Workspace(tmp_path, remote, clone, db_url)
    w.set_status("https://moved.example/old", LinkStatus.REDIRECTED, "https://moved.example/new")
    w.set_status("https://kept.example/old", LinkStatus.REDIRECTED, "https://kept.example/new")
    w.set_status("https://gone.example/page", LinkStatus.DEAD)
    with db.session_scope(db.make_engine(db_url)) as s:
        moved = s.scalar(select(Link).where(Link.url == "https://moved.example/old"))
        assert moved is not None
        s.add(PageMetadata(link_id=moved.id, title="Moved: ask @octocat, fixes #12"))
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    return w


@pytest.fixture
def api() -> Iterator[githubapi.GitHubAPI]:
    with githubapi.serve(TOKEN) as server:
        yield server


def run_pr(
    ws: Workspace, capsys: pytest.CaptureFixture[str], api_url: str | None, dry_run: bool = False
) -> tuple[int, str, str]:
    """Run the job as the CLI does: an expected error is one line on stderr."""
    capsys.readouterr()
    try:
        code = pr_job.pr(ws.ctx(), dry_run=dry_run, api_url=api_url)
    except ListkeeperError as exc:
        print(f"listkeeper: error: {exc}", file=__import__("sys").stderr)
        code = exc.exit_code
    out, err = capsys.readouterr()
    return code, out, err


# --- end to end ------------------------------------------------------------------------


def test_first_pr_pushes_the_branch_and_opens_a_pull_request(
    ws: Workspace, api: githubapi.GitHubAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_pr(ws, capsys, api.url)
    assert code == 0, err
    heads = ws.remote_heads()
    assert "listkeeper/update" in heads
    readme = ws.branch_readme()
    assert "[Moved](https://moved.example/new)" in readme
    assert "[Gone](https://gone.example/page) *(dead link)*" in readme
    assert "[Kept](https://kept.example/old)" in readme  # the ignore comment holds
    assert "https://kept.example/new" not in readme
    author = git(ws.remote, "log", "-1", "--format=%an <%ae>", "listkeeper/update")
    assert author.strip() == f"listkeeper <{BOT}>"
    assert git(ws.remote, "rev-parse", "listkeeper/update^").strip() == heads["main"]

    gets, posts = api.state.calls("GET"), api.state.calls("POST")
    assert gets[0].path == "/repos/octo/list/pulls"
    assert gets[0].query == {"head": ["octo:listkeeper/update"], "state": ["open"]}
    assert len(posts) == 1
    sent = posts[0].body
    assert sent["head"] == "listkeeper/update" and sent["base"] == "main"
    assert sent["title"] == "listkeeper: update the list"
    body = sent["body"]
    assert "## Link report" in body
    assert "kept on purpose until 2999-01-01" in body
    assert "@octocat" not in body and "@\u200docto" in body
    assert "fixes #12" not in body
    assert len(body) < 65_536
    for request in api.state.requests:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Accept"] == "application/vnd.github+json"
    assert "pull request #1" in out
    assert TOKEN not in out + err


def test_a_second_run_updates_the_same_pull_request(
    ws: Workspace, api: githubapi.GitHubAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_pr(ws, capsys, api.url)[0] == 0
    first = ws.remote_heads()["listkeeper/update"]
    ws.set_status("https://fine.example/", LinkStatus.DEAD)
    code, _, err = run_pr(ws, capsys, api.url)
    assert code == 0, err
    assert len(api.state.calls("POST")) == 1
    patches = api.state.calls("PATCH")
    assert [p.path for p in patches] == ["/repos/octo/list/pulls/1"]
    assert "fine.example" in patches[0].body["body"]
    assert ws.remote_heads()["listkeeper/update"] != first
    assert "[Fine](https://fine.example/) *(dead link)*" in ws.branch_readme()
    # A third run with nothing new: the branch is not pushed again, the body refreshed.
    head = ws.remote_heads()["listkeeper/update"]
    code, out, _ = run_pr(ws, capsys, api.url)
    assert code == 0 and "not pushed again" in out
    assert ws.remote_heads()["listkeeper/update"] == head
    assert len(api.state.pulls) == 1


def test_422_already_exists_leads_to_the_existing_pull_request(
    ws: Workspace, api: githubapi.GitHubAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_pr(ws, capsys, api.url)[0] == 0
    ws.set_status("https://fine.example/", LinkStatus.DEAD)
    api.state.hide_from_list = 1  # the list does not show it yet: the create meets the 422
    api.state.requests.clear()
    code, out, err = run_pr(ws, capsys, api.url)
    assert code == 0, err
    assert [r.method for r in api.state.requests] == ["GET", "POST", "GET", "PATCH"]
    assert api.state.requests[-1].path == "/repos/octo/list/pulls/1"
    assert len(api.state.pulls) == 1 and "#1" in out


def test_nothing_changed_opens_nothing_and_closes_the_stale_pull_request(
    ws: Workspace, api: githubapi.GitHubAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_pr(ws, capsys, api.url)[0] == 0
    for url in ("https://moved.example/old", "https://kept.example/old"):
        ws.set_status(url, LinkStatus.OK)
    ws.set_status("https://gone.example/page", LinkStatus.OK)
    api.state.requests.clear()
    head = ws.remote_heads()["listkeeper/update"]
    code, out, err = run_pr(ws, capsys, api.url)
    assert code == 0, err
    assert not api.state.calls("POST")
    [close] = api.state.calls("PATCH")
    assert close.path == "/repos/octo/list/pulls/1" and close.body == {"state": "closed"}
    assert api.state.pulls[1]["state"] == "closed"
    assert ws.remote_heads()["listkeeper/update"] == head  # nothing pushed
    assert "closed the stale pull request #1" in out
    # Again: no pull request open, nothing to close.
    api.state.requests.clear()
    code, out, _ = run_pr(ws, capsys, api.url)
    assert code == 0 and [r.method for r in api.state.requests] == ["GET"]


@pytest.mark.parametrize("status", [401, 500])
def test_the_token_never_shows_even_when_the_server_echoes_it(
    ws: Workspace, api: githubapi.GitHubAPI, capsys: pytest.CaptureFixture[str], status: int
) -> None:
    echoed = f'{{"message": "Bad credentials for Bearer {TOKEN}", "token": "{TOKEN}"}}'
    api.state.fail.append((status, echoed))
    code, out, err = run_pr(ws, capsys, api.url)
    assert code == 1
    assert TOKEN not in out + err
    assert f"GitHub answered {status}" in err and "***" in err
    assert len(err.strip().splitlines()) == 1


def test_the_token_in_a_remote_url_is_redacted_from_git_errors(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    git(ws.clone, "remote", "set-url", "origin", f"http://x-access-token:{TOKEN}@127.0.0.1:9/o/r")
    code, out, err = run_pr(ws, capsys, "http://127.0.0.1:9")
    assert code == 1
    assert TOKEN not in out + err
    assert "git ls-remote failed" in err


def test_a_maintainer_commit_on_the_bot_branch_is_never_force_pushed_over(
    ws: Workspace, api: githubapi.GitHubAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_pr(ws, capsys, api.url)[0] == 0
    other = ws.root / "other"
    git(ws.root, "clone", "--quiet", "-b", "listkeeper/update", str(ws.remote), str(other))
    (other / "NOTES.md").write_text("a maintainer's note\n", encoding="utf-8")
    git(other, "add", "NOTES.md")
    git(other, "commit", "--quiet", "-m", "keep this")
    git(other, "push", "--quiet", "origin", "listkeeper/update")
    theirs = ws.remote_heads()["listkeeper/update"]
    ws.set_status("https://fine.example/", LinkStatus.DEAD)
    api.state.requests.clear()
    code, _, err = run_pr(ws, capsys, api.url)
    assert code == 1
    assert "not made by the bot" in err and "Maintainer" in err and "force-push" in err
    assert len(err.strip().splitlines()) == 1
    assert ws.remote_heads()["listkeeper/update"] == theirs
    assert not api.state.calls("POST") and not api.state.calls("PATCH")


def test_dry_run_prints_the_diff_and_body_and_changes_nothing(
    ws: Workspace, api: githubapi.GitHubAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_pr(ws, capsys, api.url, dry_run=True)
    assert code == 0, err
    assert "-- [Moved](https://moved.example/old) - a classic" in out
    assert "+- [Moved](https://moved.example/new) - a classic" in out
    assert "## Link report" in out and "title: listkeeper: update the list" in out
    assert api.state.requests == []
    assert "listkeeper/update" not in ws.remote_heads()
    with db.session_scope(db.make_engine(ws.db_url)) as s:
        assert s.scalars(select(Run).where(Run.job == "pr")).all() == []


def test_dry_run_needs_no_token(
    ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    assert run_pr(ws, capsys, None, dry_run=True)[0] == 0
    code, _, err = run_pr(ws, capsys, None)
    assert code == 3 and "GITHUB_TOKEN is not set" in err


def test_a_rewrite_refused_by_a_maintainer_is_not_proposed_again(
    ws: Workspace, api: githubapi.GitHubAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_pr(ws, capsys, api.url)[0] == 0
    api.state.pulls[1]["state"] = "closed"  # closed without merging: base keeps the old URL
    ws.set_status("https://gone.example/page", LinkStatus.OK)
    code, _, err = run_pr(ws, capsys, api.url)
    # Nothing left to propose: the rewrite was refused, the dead link is back.
    assert code == 0, err
    assert len(api.state.calls("POST")) == 1
    ws.set_status("https://gone.example/page", LinkStatus.DEAD)
    assert run_pr(ws, capsys, api.url)[0] == 0
    second = api.state.calls("POST")[-1].body
    assert "reverted or refused" in second["body"]
    assert "[Moved](https://moved.example/old)" in ws.branch_readme()
    # A new target is a new proposal.
    ws.set_status("https://moved.example/old", LinkStatus.REDIRECTED, "https://moved.example/v3")
    assert run_pr(ws, capsys, api.url)[0] == 0
    assert "[Moved](https://moved.example/v3)" in ws.branch_readme()


# --- pure logic ------------------------------------------------------------------------

TODAY = date(2024, 6, 1)


def test_rewrites_every_link_syntax_and_nothing_else() -> None:
    text = (
        '- [a](https://x.example/old) and [b](<https://x.example/old> "t")\n'
        "- <https://x.example/old> and https://x.example/old/deeper in prose\n"
        "[ref]: https://x.example/old\n"
        '<a href="https://x.example/old">c</a> [d](https://x.example/older)\n'
    )
    change = prlogic.Change("rewrite", "https://x.example/old", "https://x.example/new")
    out = prlogic.apply_changes(text, [change], today=TODAY)
    assert out.text == text.replace("x.example/old)", "x.example/new)").replace(
        "x.example/old>", "x.example/new>"
    ).replace("]: https://x.example/old", "]: https://x.example/new").replace(
        'href="https://x.example/old"', 'href="https://x.example/new"'
    )
    assert "https://x.example/old/deeper" in out.text and "x.example/older" in out.text
    assert [a.line for a in out.applied] == [1, 2, 3, 4]


def test_ignore_comments_same_line_line_before_and_expiry() -> None:
    text = (
        "<!-- listkeeper:ignore the author asked until 2024-12-31 -->\n"
        "- [a](https://a.example/) <!-- listkeeper:ignore expired until 2020-01-01 -->\n"
        "- [b](https://b.example/) <!-- listkeeper:ignore for good -->\n"
        "- [c](https://c.example/) <!-- listkeeper:ignore expired until 2020-01-01 -->\n"
    )
    changes = [
        prlogic.Change("rewrite", f"https://{h}.example/", f"https://{h}.example/new")
        for h in "abc"
    ]
    out = prlogic.apply_changes(text, changes, today=TODAY)
    assert "https://a.example/)" in out.text  # the comment on the line before holds
    assert "https://b.example/)" in out.text  # no date: for good
    assert "https://c.example/new)" in out.text  # expired
    assert {s.change.old for s in out.skipped} == {"https://a.example/", "https://b.example/"}
    assert prlogic.ignores(text, date(2025, 1, 1)).keys() == {3}  # after a link: that line


def test_marking_is_idempotent_and_downgrades_are_refused() -> None:
    text = "- [g](https://g.example/) *(dead link)*\n- [h](https://h.example/)\n"
    marks = [prlogic.Change("mark", f"https://{h}.example/") for h in "gh"]
    out = prlogic.apply_changes(text, marks, today=TODAY)
    assert out.text == "- [g](https://g.example/) *(dead link)*\n" + (
        "- [h](https://h.example/) *(dead link)*\n"
    )
    assert not prlogic.rewrite_allowed("https://a.example/", "http://a.example/")
    assert prlogic.rewrite_allowed("http://a.example/", "https://a.example/")
    assert prlogic.rewrite_allowed("a.example/x", "https://a.example/y")


def test_settings_are_checked() -> None:
    s = prlogic.settings({"pr": {"repo": "o/r"}})
    assert (s.branch, s.remote, s.dead, s.author_email) == (
        "listkeeper/update",
        "origin",
        "keep",
        BOT,
    )
    for bad in ({"dead": "delete"}, {"repo": "no-slash"}, {"colour": 1}, {"add_candidates": "y"}):
        with pytest.raises(ConfigError):
            prlogic.settings({"pr": bad})


def test_redactor_hides_tokens_and_url_credentials() -> None:
    redact = Redactor(TOKEN)
    text = f"failed: https://user:{TOKEN}@github.com/o/r.git and {TOKEN}"
    assert redact(text) == "failed: https://***@github.com/o/r.git and ***"


def test_a_pull_request_that_would_drop_an_entry_is_not_made(
    ws: Workspace, api: githubapi.GitHubAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    region = '\n[[render.regions]]\nname = "g"\nkind = "letter-groups"\ngroup = "things"\n'
    (ws.clone / "listkeeper.toml").write_text(CONFIG + region, encoding="utf-8")
    (ws.clone / "README.md").write_text(
        README + "\n<!-- listkeeper:begin g -->\n\n#### A things\n\n- [Alf](https://a.example/)\n"
        "\n#### Misc\n\n- [Odd](https://odd.example/)\n\n<!-- listkeeper:end g -->\n",
        encoding="utf-8",
    )
    git(ws.clone, "commit", "--quiet", "-am", "a region with a heading that is no group")
    git(ws.clone, "push", "--quiet", "origin", "HEAD:refs/heads/main")
    code, _, err = run_pr(ws, capsys, api.url)
    assert code == 1 and "not written" in err and "Odd" in err and "line 18" in err, err
    assert len(err.strip().splitlines()) == 1
    assert "listkeeper/update" not in ws.remote_heads()
    assert api.state.calls("POST") == []


def test_a_dead_link_note_is_not_added_inside_a_managed_region() -> None:
    # The next render writes entries from the catalog and would drop the note again.
    text = "- [g](https://g.example/)\n<!-- listkeeper:begin r -->\n- [h](https://h.example/)\n"
    marks = [prlogic.Change("mark", f"https://{h}.example/") for h in "gh"]
    out = prlogic.apply_changes(text, marks, today=TODAY, managed={3})
    assert out.text == text.replace("(https://g.example/)", "(https://g.example/) *(dead link)*")
    assert [(s.change.old, s.line) for s in out.skipped] == [("https://h.example/", 3)]


def test_a_pull_request_keeps_the_byte_order_mark_and_line_endings(
    ws: Workspace, api: githubapi.GitHubAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    original = b"\xef\xbb\xbf" + README.replace("\n", "\r\n").encode()
    (ws.clone / "README.md").write_bytes(original)
    git(ws.clone, "commit", "--quiet", "-am", "a README saved on Windows")
    git(ws.clone, "push", "--quiet", "origin", "HEAD:refs/heads/main")
    code, _, err = run_pr(ws, capsys, api.url)
    assert code == 0, err
    proposed = subprocess.run(
        ["git", "show", "listkeeper/update:README.md"],
        cwd=ws.remote,
        capture_output=True,
        check=True,
    ).stdout
    assert proposed.startswith(b"\xef\xbb\xbf")
    assert b"[Moved](https://moved.example/new)" in proposed
    # Every line keeps its CRLF; only the changed lines differ.
    assert proposed.count(b"\r\n") == original.count(b"\r\n") and b"\n" not in proposed.replace(
        b"\r\n", b""
    )


# --- the local API's shapes against GitHub's ------------------------------------------

RECORDED = ("corpora", "responses", "github_api")


def _recorded(name: str) -> tuple[dict[str, Any], int, Any]:
    """The request, status and body of an exchange recorded from the real API."""
    record = json.loads(shared_path(*RECORDED, name).read_text(encoding="utf-8"))
    response = record["response"]
    return record["request"], response["status"], json.loads(response["body"])


def _drift(ours: Any, theirs: Any, where: str = "") -> list[str]:
    """Where *ours* has a field GitHub's answer lacks, or a field of another JSON type
    (null matches any type: GitHub sends null for an absent value)."""
    if ours is None or theirs is None:
        return []
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return [
            problem
            for key, value in ours.items()
            for problem in (
                _drift(value, theirs[key], f"{where}.{key}")
                if key in theirs
                else [f"{where}.{key}: not in GitHub's answer"]
            )
        ]
    if isinstance(ours, list) and isinstance(theirs, list):
        return _drift(ours[0], theirs[0], f"{where}[0]") if ours and theirs else []
    if type(ours) is not type(theirs):
        return [f"{where}: {type(ours).__name__}, GitHub sends {type(theirs).__name__}"]
    return []


@needs_shared(*RECORDED)
def test_the_local_apis_pull_request_shapes_are_githubs() -> None:
    pull, exists = githubapi.templates()
    request, status, created = _recorded("hub4j-create-pull-201.json")
    assert (request["method"], urlsplit(request["url"]).path.split("/")[-1], status) == (
        "POST",
        "pulls",
        201,
    )
    assert _drift(pull, created) == []
    # What the client and the server read is there; the list leaves out the full-only fields.
    read = {"number", "html_url", "state", "body", "head", "base", "url"}
    assert read <= set(pull) and read <= set(created)
    assert {"ref", "label"} <= set(created["head"]) & set(pull["head"])
    assert set(created) >= githubapi.FULL_ONLY
    request, status, listed = _recorded("hub4j-list-pulls-by-head-200.json")
    assert (request["method"], status) == ("GET", 200)
    query = parse_qs(urlsplit(request["url"]).query)
    assert query["state"] == ["open"] and ":" in query["head"][0]
    assert isinstance(listed, list) and listed
    assert _drift([githubapi.simple(pull)], listed) == []
    assert read <= set(listed[0]) and not githubapi.FULL_ONLY & set(listed[0])
    request, status, updated = _recorded("hub4j-update-pull-base-200.json")
    assert (request["method"], status) == ("PATCH", 200)
    assert request["url"].rsplit("/", 1)[1] == str(updated["number"])
    assert _drift({k: v for k, v in pull.items() if k in updated}, updated) == []
    request, status, refused = _recorded("hub4j-create-pull-422-already-exists.json")
    assert (request["method"], status) == ("POST", 422)
    assert _drift(exists, refused) == [] and set(exists) == set(refused)
    assert set(exists["errors"][0]) == set(refused["errors"][0])
    assert re.fullmatch(
        r"A pull request already exists for [^:\s]+:\S+\.", refused["errors"][0]["message"]
    )
    assert re.fullmatch(
        r"A pull request already exists for [^:\s]+:\S+\.", exists["errors"][0]["message"]
    )


def test_the_drift_check_sees_a_renamed_or_retyped_field() -> None:
    assert _drift({"number": 1, "head": {"ref": "x"}}, {"number": 2, "head": {"ref": "y"}}) == []
    assert _drift({"number": "1"}, {"number": 1}) == [".number: str, GitHub sends int"]
    assert _drift({"head": {"reff": "x"}}, {"head": {"ref": "x"}}) == [
        ".head.reff: not in GitHub's answer"
    ]
    assert _drift({"body": "text"}, {"body": None}) == []
