"""catalog.output: the token, whole and in fragments, never leaves by any output path
(stdout, stderr, logging, exception text, reports, the pull request's body), and a web
page's control characters never reach the terminal."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog import db
from catalog.models import Link, PageMetadata
from catalog.output import FRAGMENT, Redactor, filtered_streams, for_terminal, unfiltered
from jobs import cli
from tests import githubapi
from tests.polling import wait_for
from tests.test_pr import TOKEN, Workspace, api, ws  # noqa: F401 (fixtures)

OTHER_TOKENS = [
    "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2",  # classic personal access token
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012",
    "gho_" + "a" * 36,  # OAuth
    "ghs_" + "b1" * 18,  # app installation
    "ghu_" + "C2" * 18,  # app user-to-server
    "ghr_" + "d3" * 18,  # refresh
]


def leaks(text: str, secret: str = TOKEN) -> list[str]:
    """Every piece of *secret* of FRAGMENT characters or more that *text* holds."""
    return [
        secret[i : i + FRAGMENT]
        for i in range(len(secret) - FRAGMENT + 1)
        if secret[i : i + FRAGMENT] in text
    ]


# --- the filter itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    "shown",
    [
        pytest.param(TOKEN, id="whole"),
        pytest.param(TOKEN[:-1], id="minus the last character"),
        pytest.param(TOKEN[1:], id="minus the first character"),
        pytest.param(TOKEN[: len(TOKEN) // 2], id="first half (a cut message)"),
        pytest.param(TOKEN[len(TOKEN) // 2 :], id="second half"),
        *(
            pytest.param(TOKEN[i : i + FRAGMENT], id=f"fragment at {i}")
            for i in range(0, len(TOKEN) - FRAGMENT + 1, 3)
        ),
        pytest.param(f"x-access-token:{TOKEN}", id="in credentials"),
        pytest.param(json.dumps({"token": TOKEN}), id="in JSON"),
    ],
)
@pytest.mark.parametrize("around", ["{}", "Bearer {}.", "https://h/{}/x", "({})", "'{}'\n"])
def test_a_registered_token_is_redacted_whole_and_in_fragments(shown: str, around: str) -> None:
    redactor = Redactor(TOKEN)
    text = f"before {around.format(shown)} after"
    assert leaks(redactor(text)) == []
    assert "before" in redactor(text) and "after" in redactor(text)


@pytest.mark.parametrize("token", OTHER_TOKENS)
def test_anything_shaped_like_a_github_token_is_redacted_registered_or_not(token: str) -> None:
    out = Redactor()(f"header: Authorization: token {token}; ok")
    assert token[4:] not in out and token[-12:] not in out
    assert out.startswith("header: Authorization: token ") and out.endswith("; ok")


def test_short_text_and_ordinary_words_are_left_alone() -> None:
    redactor = Redactor(TOKEN)
    text = "checked 12 due links; ok 10, dead 2 — https://example.com/ghp_page (ghp_ in prose)"
    assert redactor(text) == text


@pytest.mark.parametrize(
    ("raw", "visible"),
    [
        ("\x1b]0;owned\x07", "␛]0;owned␇"),  # OSC: sets the window title
        ("\x1b[2J\x1b[H", "␛[2J␛[H"),  # clears the screen
        ("a\rb", "a␍b"),  # overwrites the line
        ("\x00\x08\x0b\x0c\x7f", "␀␈␋␌␡"),
        ("\x9b31m\x85", "\ufffd31m\ufffd"),  # C1 CSI and NEL
        ("abc\u202edcba\u2066x\u2069", "abc\ufffddcba\ufffdx\ufffd"),  # bidi override, isolate
        ("tab\tand\nnewline\r\n", "tab\tand\nnewline\n"),  # kept
        ("\u200e\u200fmarks", "\u200e\u200fmarks"),  # LRM, RLM: a translator's, kept
    ],
)
def test_the_terminal_gets_no_control_character_it_would_act_on(raw: str, visible: str) -> None:
    assert for_terminal(raw) == visible


def test_a_log_handler_made_before_the_filter_redacts_too() -> None:
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with filtered_streams():
            try:
                raise RuntimeError(f"boom {TOKEN[:-2]}")
            except RuntimeError:
                logging.getLogger("listkeeper.test").exception("token %s", TOKEN)
    finally:
        root.removeHandler(handler)
    logged = sink.getvalue()
    assert "token ***" in logged and "RuntimeError: boom ***" in logged
    assert leaks(logged) == []


def test_stdout_and_stderr_are_filtered_across_partial_writes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import sys

    with filtered_streams():
        sys.stdout.write(TOKEN[:12])
        sys.stdout.write(TOKEN[12:] + " \x1b[2J\n")
        sys.stderr.write(f"{TOKEN}\x07")
    out, err = capsys.readouterr()
    assert out == "*** ␛[2J\n" and err == "***␇"


# --- the real command: every output path ------------------------------------------------


def run_cli(
    ws: Workspace,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.run(["--config", str(ws.clone / "listkeeper.toml"), "--db", ws.db_url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def _pull(**fields: object) -> str:
    pull, _ = githubapi.templates()
    pull.update(fields)
    return json.dumps(pull)


LONG = "x" * 280
GITHUB_ANSWERS = {
    # GitHub's message cut at its length limit right inside the token
    "long error body": [(500, json.dumps({"message": f"{LONG} Bearer {TOKEN} tail"}))],
    "token minus its last character": [(401, json.dumps({"message": f"bad {TOKEN[:-1]}"}))],
    "an 8-character fragment": [(403, json.dumps({"message": f"key …{TOKEN[9:17]}…"}))],
    "another token's shape": [(500, json.dumps({"message": OTHER_TOKENS[1]}))],
    "not JSON": [(502, f"<html><body>upstream said {TOKEN}" + "y" * 500)],
    "a list for the pull list's object": [(200, json.dumps({"message": TOKEN}))],
    "a list item that is no object": [(200, json.dumps([TOKEN]))],
    "a list where a pull belongs": [(200, "[]"), (201, json.dumps([{"number": 3}, TOKEN]))],
    "a pull without a number": [(200, "[]"), (201, json.dumps({"html_url": TOKEN}))],
    "a pull numbered with the token": [(200, "[]"), (201, _pull(number=TOKEN))],
    "a 200 that is not JSON": [(200, f"oops {TOKEN}")],
    "html_url holding the token": [
        (200, "[]"),
        (201, _pull(number=7, html_url=f"https://github.example/o/r/pull/7?t={TOKEN}")),
    ],
}


@pytest.mark.parametrize("answers", GITHUB_ANSWERS.values(), ids=GITHUB_ANSWERS.keys())
def test_no_github_answer_gets_the_token_or_a_traceback_out(
    ws: Workspace,  # noqa: F811
    api: githubapi.GitHubAPI,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    answers: list[tuple[int, str]],
) -> None:
    api.state.fail.extend(answers)
    code, out, err = run_cli(ws, capsys, "pr", "--api-url", api.url)
    assert leaks(out + err) == [], out + err
    assert "Traceback" not in err
    for token in OTHER_TOKENS:
        assert token not in out + err
    if answers[-1][0] == 201 and "html_url" in answers[-1][1] and code == 0:
        assert "pull request #7" in out
    else:
        assert code == 1, out + err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("listkeeper: error: "), err
        assert "GitHub" in lines[0]


def _title_everything(ws: Workspace, title: str) -> None:  # noqa: F811
    with db.session_scope(db.make_engine(ws.db_url)) as s:
        for link in s.scalars(select(Link)):
            meta = s.get(PageMetadata, link.id)
            if meta is None:
                s.add(PageMetadata(link_id=link.id, title=title))
            else:
                meta.title = title


HOSTILE_TITLE = f"Leak {TOKEN} / {TOKEN[:-1]} / {TOKEN[4:12]} \x1b]0;pwned\x07\x1b[2J end"


@pytest.mark.parametrize("fmt", ["markdown", "json", "html", "junit"])
def test_reports_hold_no_token_and_the_terminal_no_escape(
    ws: Workspace,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fmt: str,
) -> None:
    _title_everything(ws, HOSTILE_TITLE)
    code, out, err = run_cli(ws, capsys, "report", "--format", fmt)
    assert code == 0, err
    assert leaks(out) == [] and "\x1b" not in out and "\x07" not in out
    target = tmp_path / f"report.{fmt}"
    code, _, err = run_cli(ws, capsys, "report", "--format", fmt, "--output", str(target))
    assert code == 0, err
    assert leaks(target.read_text(encoding="utf-8")) == []


def test_the_pull_request_body_holds_no_token(
    ws: Workspace,  # noqa: F811
    api: githubapi.GitHubAPI,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    _title_everything(ws, HOSTILE_TITLE)
    code, out, err = run_cli(ws, capsys, "pr", "--api-url", api.url)
    assert code == 0, err
    [post] = api.state.calls("POST")
    # the body escapes Markdown ("ghp\\_S3…"): the fragments give the token away all the same
    assert "Leak " in post.body["body"] and "***" in post.body["body"]
    assert leaks(post.body["body"]) == [] and leaks(out + err) == []
    code, out, err = run_cli(ws, capsys, "pr", "--dry-run")
    assert code == 0, err
    assert "Leak " in out and leaks(out + err) == [] and "\x1b" not in out


def test_an_unexpected_exception_is_exit_1_with_its_text_and_traceback_redacted(
    ws: Workspace,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jobs import report as report_job

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError(f"driver said {TOKEN} and {TOKEN[3:-3]}\x1b[2J")

    monkeypatch.setattr(report_job, "report", broken)
    code, out, err = run_cli(ws, capsys, "report")
    assert code == 1
    assert "Traceback" in err and "RuntimeError: driver said *** and ***␛[2J" in err
    assert err.strip().splitlines()[-1].startswith("listkeeper: unexpected error: RuntimeError")
    assert leaks(out + err) == [] and "\x1b" not in err


def test_github_errors_are_redacted_before_they_are_cut() -> None:
    from jobs.github import _message

    message = _message(500, {"message": LONG + " " + TOKEN}, Redactor(TOKEN))
    assert leaks(message) == [] and len(message) <= 310


def test_only_our_own_progress_bar_writes_under_the_filter() -> None:
    import sys

    raw = sys.stderr
    with filtered_streams():
        assert sys.stderr is not raw and unfiltered(sys.stderr) is raw
    assert unfiltered(raw) is raw


def test_candidates_and_feeds_reach_the_terminal_without_escapes(
    catalog_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Titles stored before the web-text cleaner existed, printed by `candidates`."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from catalog.candidates import Poll, add_feed, record_poll
    from catalog.feeds.model import FeedEntry
    from catalog.importer import apply
    from catalog.models import Entry, Feed
    from catalog.readme_parser import parse_markdown
    from catalog.vocabulary import EntryState

    db.upgrade(catalog_url)
    engine = db.make_engine(catalog_url)
    readme = "# List\n\n## Articles\n\n- [Listed](https://listed.example/)\n"
    hostile = f"Ti\x1b]0;owned\x07tle \x1b[2J\u202eevil {TOKEN}"
    with Session(engine) as s:
        doc = apply(s, "README.md", readme, parse_markdown(readme)).document_id
        feed, _ = add_feed(s, "https://blog.example/feed")
        record_poll(
            s, Poll(feed.id, 200), [FeedEntry("a", "https://blog.example/a", "a")], document_id=doc
        )
        entry = FeedEntry("b", "https://blog.example/b", "b")
        record_poll(s, Poll(feed.id, 200), [entry], document_id=doc)
        s.execute(update(Entry).where(Entry.state == EntryState.CANDIDATE).values(title=hostile))
        s.execute(update(Feed).values(title=hostile, last_error=hostile))
        s.commit()
    engine.dispose()
    (tmp_path / "listkeeper.toml").write_text('[readme]\npath = "README.md"\n')
    for command in (["candidates"], ["feeds", "list"]):
        capsys.readouterr()
        code = cli.run(
            ["--config", str(tmp_path / "listkeeper.toml"), "--db", catalog_url, *command]
        )
        out, err = capsys.readouterr()
        assert code == 0, err
        assert not set("\x1b\x07\u202e") & set(out + err), command
        assert leaks(out + err) == []
        assert "Ti␛]0;owned␇tle" in out and "evil ***" in out, out  # visible, not acted on


def test_the_crawl_process_does_not_get_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from jobs.crawling import CrawlChild

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    child = CrawlChild()
    environ = Path(f"/proc/{child.proc.pid}/environ")
    try:
        # Popen returns as the child execs; its environ reads empty until exec has set it up.
        assert wait_for(environ.read_bytes, timeout=10), "the crawl process shows no environment"
        seen = environ.read_bytes()
    finally:
        child.cancel()
    assert TOKEN.encode() not in seen and b"PYTHONUNBUFFERED=1" in seen
