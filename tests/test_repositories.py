"""GitHub repository links, asked of a local GraphQL endpoint (graphql-core executing the
part of GitHub's schema listkeeper uses), through ``tests/githubapi.py``'s server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from catalog.errors import ConfigError
from catalog.repos import (
    RESERVED,
    GitHubSettings,
    RepoRef,
    github_settings,
    graphql_url,
    repo_ref,
)
from jobs.graphql import GraphQL
from jobs.offlineweb.githubgraphql import SECONDARY_BODY, Endpoint, Repo
from jobs.repositories import SECONDARY_DEFAULT_WAIT, Asked, build_query, check_repositories
from tests import githubapi
from tests.conftest import needs_shared, shared_path

TOKEN = "ghp_test0123456789abcdef"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
RECORDED = ("corpora", "responses", "github_api")


# --- which links are repositories -------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "ref"),
    [
        ("https://github.com/acme/rocket", RepoRef("acme", "rocket")),
        ("https://github.com/acme/rocket/", RepoRef("acme", "rocket")),
        ("https://github.com/acme/rocket.git", RepoRef("acme", "rocket")),
        ("https://github.com/acme/rocket#readme", RepoRef("acme", "rocket")),
        ("http://www.github.com/acme/rocket.js", RepoRef("acme", "rocket.js")),
        ("https://github.com/acme/rocket/tree/dev", RepoRef("acme", "rocket", "dev")),
        ("https://github.com/acme/rocket/tree/feature/x", RepoRef("acme", "rocket", "feature/x")),
        ("https://github.com/acme/rocket/blob/main/README.md", None),
        ("https://github.com/acme/rocket/issues/3", None),
        ("https://github.com/acme/rocket/wiki", None),
        ("https://github.com/acme", None),
        ("https://github.com/acme/rocket?tab=readme", None),
        ("https://github.com/acme/rocket#install", None),
        ("https://gitlab.com/acme/rocket", None),
        ("https://github.com/-acme/rocket", None),
        ("ftp://github.com/acme/rocket", None),
    ],
)
def test_repository_links(url: str, ref: RepoRef | None) -> None:
    assert repo_ref(url) == ref


@pytest.mark.parametrize(
    "first",
    ["features", "topics", "sponsors", "orgs", "marketplace", "apps", "collections",
     "settings", "about", "pricing", "enterprise", "login", "explore", "trending"],
)  # fmt: skip
def test_githubs_own_pages_stay_pages(first: str) -> None:
    assert first in RESERVED
    assert repo_ref(f"https://github.com/{first}/actions") is None
    assert repo_ref(f"https://github.com/{first.upper()}/actions") is None


def test_graphql_beside_the_rest_base() -> None:
    assert graphql_url("https://api.github.com") == "https://api.github.com/graphql"
    assert graphql_url("https://ghe.example/api/v3/") == "https://ghe.example/api/graphql"
    ghes = GitHubSettings(api_url="https://ghe.example/api/v3")
    found = repo_ref("https://ghe.example/platform/tool", ghes.web_hosts)
    assert found == RepoRef("platform", "tool") and found.host == "ghe.example"
    assert repo_ref("https://ghe.example/platform/tool") is None


@pytest.mark.parametrize(
    "table",
    [{"api_url": "ftp://x"}, {"batch_size": 101}, {"stale_after_days": 0}, {"nope": 1},
     {"reject_archived": "yes"}, {"max_wait_seconds": -1}],
)  # fmt: skip
def test_bad_github_settings_are_one_clear_error(table: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match=r"\[github\]"):
        github_settings({"github": table}, "listkeeper.toml")


def test_names_travel_as_variables_never_in_the_query() -> None:
    query, variables = build_query([RepoRef("a", 'x"){evil}'), RepoRef("b", "y", "dev")])
    assert 'x"){evil}' not in query
    assert variables == {"o0": "a", "n0": 'x"){evil}', "o1": "b", "n1": "y", "b1": "dev"}
    assert "r1:repository(owner:$o1,name:$n1)" in query
    assert "branch:ref(qualifiedName:$b1)" in query
    assert "rateLimit{cost remaining resetAt}" in query


# --- answers, against the local endpoint ------------------------------------------------


@pytest.fixture
def endpoint() -> Endpoint:
    ep = Endpoint(token=TOKEN)
    ep.add("acme/rocket", Repo("acme/rocket", stars=1200))
    ep.add("old/name", Repo("new/name"))
    ep.add("acme/Case", Repo("Acme/case"))
    ep.add("acme/attic", Repo("acme/attic", archived=True, archived_at="2024-01-02T00:00:00Z"))
    ep.add("acme/frozen", Repo("acme/frozen", disabled=True))
    ep.add("acme/quiet", Repo("acme/quiet", last_commit_at="2025-01-01T00:00:00Z"))
    ep.add("acme/pushy", Repo("acme/pushy", pushed_at="2026-12-01T00:00:00Z",
                              last_commit_at="2024-06-01T00:00:00Z"))  # fmt: skip
    ep.add("acme/empty", Repo("acme/empty", last_commit_at=None, pushed_at=None))
    ep.add("acme/secret", Repo("acme/secret", private=True))
    return ep


@pytest.fixture
def api(endpoint: Endpoint) -> Iterator[githubapi.GitHubAPI]:
    with githubapi.serve(TOKEN, endpoint) as server:
        yield server


def _ask(
    api: githubapi.GitHubAPI,
    urls: list[str],
    settings: GitHubSettings | None = None,
    waits: list[float] | None = None,
):  # type: ignore[no-untyped-def]
    client = GraphQL(graphql_url(api.url), TOKEN)
    asked = [Asked(i, ref) for i, u in enumerate(urls) if (ref := repo_ref(u)) is not None]
    sleep = waits.append if waits is not None else _no_sleep
    out = check_repositories(
        client, asked, settings or GitHubSettings(), now=lambda: NOW, sleep=sleep
    )
    return out, {r.link_id: r for r in out.results}, {i: f for i, _, f in out.facts}


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"asked to sleep {seconds} s")


def test_every_answer_kind_in_one_query(api: githubapi.GitHubAPI, endpoint: Endpoint) -> None:
    urls = [
        "https://github.com/acme/rocket",
        "https://github.com/old/name/",
        "https://github.com/acme/case",
        "https://github.com/acme/attic.git",
        "https://github.com/acme/frozen",
        "https://github.com/acme/quiet",
        "https://github.com/acme/pushy",
        "https://github.com/acme/empty",
        "https://github.com/acme/secret",
        "https://github.com/acme/gone#readme",
        "https://github.com/acme/rocket/tree/main",
        "https://github.com/acme/rocket/tree/gone",
        "https://github.com/ACME/rocket",  # the same repository: one alias
    ]
    out, results, facts = _ask(api, urls)
    assert endpoint.queries == [12] and out.queries == 1 and out.aliases == [12]
    outcome = {urls[i]: (r.outcome, r.final_url) for i, r in results.items()}
    assert outcome == {
        urls[0]: ("ok", None),
        urls[1]: ("redirect", "https://github.com/new/name"),
        urls[2]: ("ok", None),  # only the casing differs: not a rename
        urls[3]: ("ok", None),
        urls[4]: ("ok", None),
        urls[5]: ("ok", None),
        urls[6]: ("ok", None),
        urls[7]: ("ok", None),
        urls[8]: ("permanent", None),  # private: the readers cannot see it
        urls[9]: ("permanent", None),  # NOT_FOUND among found ones
        urls[10]: ("ok", None),
        urls[11]: ("permanent", None),  # no such branch
        urls[12]: ("ok", None),
    }
    assert "NOT_FOUND" in results[9].reason
    assert facts[0].stars == 1200 and not facts[0].stale and not facts[0].archived
    assert facts[1].renamed and facts[1].name_with_owner == "new/name"
    assert facts[3].archived and facts[3].archived_at == datetime(2024, 1, 2, tzinfo=UTC)
    assert facts[4].disabled
    assert facts[5].stale  # last commit 2025-01-01, older than 365 days
    # Staleness is the default branch's last commit, not pushedAt (any branch moves it).
    assert facts[6].stale and facts[6].pushed_at == datetime(2026, 12, 1, tzinfo=UTC)
    assert facts[7].empty and not facts[7].stale and facts[7].last_commit_at is None
    assert facts[8].private
    assert 9 not in facts
    assert endpoint.max_in_flight == 1


def test_stale_after_days_is_the_setting(api: githubapi.GitHubAPI) -> None:
    url = "https://github.com/acme/quiet"
    _, _, facts = _ask(api, [url], GitHubSettings(stale_after_days=1000))
    assert not facts[0].stale


def test_hundred_per_query(api: githubapi.GitHubAPI, endpoint: Endpoint) -> None:
    for i in range(250):
        endpoint.add(f"many/r{i}")
    out, results, _ = _ask(api, [f"https://github.com/many/r{i}" for i in range(250)])
    assert endpoint.queries == [100, 100, 50] == out.aliases
    assert {r.outcome for r in results.values()} == {"ok"} and len(results) == 250


def test_a_502_splits_the_batch(api: githubapi.GitHubAPI, endpoint: Endpoint) -> None:
    for i in range(100):
        endpoint.add(f"many/r{i}")
    endpoint.max_aliases = 30
    _out, results, _ = _ask(api, [f"https://github.com/many/r{i}" for i in range(100)])
    assert endpoint.queries == [100, 50, 25, 25, 50, 25, 25]
    assert len(results) == 100 and {r.outcome for r in results.values()} == {"ok"}


def test_a_single_repository_timing_out_is_transient(
    api: githubapi.GitHubAPI, endpoint: Endpoint
) -> None:
    endpoint.faults = [504, "timeout"]
    _out, results, _ = _ask(api, ["https://github.com/acme/rocket", "https://github.com/old/name"])
    assert endpoint.queries == [2, 1, 1]
    assert results[0].outcome == "transient" and results[1].outcome == "redirect"


def test_other_alias_errors_are_transient_and_unanswered_aliases_stay_due(
    api: githubapi.GitHubAPI, endpoint: Endpoint
) -> None:
    # As cli/cli's fixture shows: partial data, one error per failed alias (path = alias).
    node = {"nameWithOwner": "acme/rocket", "isArchived": False, "isPrivate": False}
    forbidden = {
        "type": "FORBIDDEN",
        "path": ["r1"],
        "extensions": {"saml_failure": True},
        "message": "Resource protected by organization SAML enforcement.",
    }
    body = {"data": {"r0": node, "r1": None}, "errors": [forbidden]}
    endpoint.faults = [(200, {}, body)]
    urls = [
        "https://github.com/acme/rocket",
        "https://github.com/sso/locked",
        "https://github.com/acme/unanswered",
    ]
    out, results, facts = _ask(api, urls)
    assert results[0].outcome == "ok" and 0 in facts  # the alias that answered is kept
    assert results[1].outcome == "transient" and "FORBIDDEN" in results[1].reason
    assert 2 not in results and [a.link_id for a in out.left] == [2]


def test_rate_limited_near_reset_waits_far_reset_leaves_the_rest(
    api: githubapi.GitHubAPI, endpoint: Endpoint
) -> None:
    for i in range(300):
        endpoint.add(f"many/r{i}")
    urls = [f"https://github.com/many/r{i}" for i in range(300)]
    endpoint.reset_in = 5
    endpoint.faults = ["rate_limited"]
    waits: list[float] = []
    out, results, _ = _ask(api, urls, waits=waits)
    assert len(waits) == 1 and 0 < waits[0] <= 10
    assert endpoint.queries == [100, 100, 100, 100] and len(results) == 300

    endpoint.queries.clear()
    endpoint.reset_in = 3600
    endpoint.faults = ["none", "rate_limited"]  # the 2nd query is refused
    out, results, _ = _ask(api, urls)
    assert endpoint.queries == [100, 100]
    assert len(out.left) == 200 and len(results) == 100  # the answered batch is kept
    assert "next run" in out.notes[0] and "rate limit" in out.notes[0]


def test_remaining_zero_in_the_headers_stops_before_asking(
    api: githubapi.GitHubAPI, endpoint: Endpoint
) -> None:
    for i in range(200):
        endpoint.add(f"many/r{i}")
    endpoint.remaining = 1  # the first query uses the last point
    endpoint.reset_in = 3600
    out, results, _ = _ask(api, [f"https://github.com/many/r{i}" for i in range(200)])
    assert endpoint.queries == [100]  # no second query sent into a spent limit
    assert len(results) == 100 and len(out.left) == 100


def test_secondary_limit_obeys_retry_after(api: githubapi.GitHubAPI, endpoint: Endpoint) -> None:
    endpoint.faults = ["secondary"]
    endpoint.retry_after = 7
    waits: list[float] = []
    out, results, _ = _ask(api, ["https://github.com/acme/rocket"], waits=waits)
    assert waits == [7.0] and endpoint.queries == [1, 1] and results[0].outcome == "ok"

    endpoint.queries.clear()
    endpoint.faults = ["secondary"]
    endpoint.retry_after = 600
    out, results, _ = _ask(api, ["https://github.com/acme/rocket"])
    assert endpoint.queries == [1] and not results and len(out.left) == 1
    assert "secondary rate limit" in out.notes[0]


def test_secondary_limit_without_retry_after_backs_off_doubling(
    api: githubapi.GitHubAPI, endpoint: Endpoint
) -> None:
    # GitHub's 403 in its 2021 wording, without Retry-After or rate-limit headers: the
    # default wait, then twice that, past the longest wait: the rest wait for the next run
    # (the recorded answers of the corpus suite are obeyed the same way).
    endpoint.faults = [(403, {}, SECONDARY_BODY)]
    waits: list[float] = []
    _, results, _ = _ask(api, ["https://github.com/acme/rocket"], waits=waits)
    assert waits == [SECONDARY_DEFAULT_WAIT] and results[0].outcome == "ok"
    endpoint.queries.clear()
    endpoint.faults = [(403, {}, SECONDARY_BODY), (403, {}, SECONDARY_BODY)]
    waits.clear()
    out, results, _ = _ask(api, ["https://github.com/acme/rocket"], waits=waits)
    assert waits == [SECONDARY_DEFAULT_WAIT] and endpoint.queries == [1, 1]
    assert not results and len(out.left) == 1
    assert "asked to wait 120 s" in out.notes[0]


def test_bad_token_stops_and_never_prints_it(api: githubapi.GitHubAPI, endpoint: Endpoint) -> None:
    endpoint.token = "another-token"
    out, results, _ = _ask(api, ["https://github.com/acme/rocket"])
    assert not results and len(out.left) == 1
    assert "401" in out.notes[0] and "GITHUB_TOKEN" in out.notes[0]
    assert TOKEN not in " ".join(out.notes)


# --- recorded answers from ../shared, when it is there ----------------------------------


def _recorded(name: str) -> tuple[int, dict[str, str], dict[str, object]]:
    path = shared_path(*RECORDED, name)
    record = json.loads(path.read_text(encoding="utf-8"))
    headers = {k: v for k, v in (record.get("headers") or {}).items() if k.lower().startswith("x-")}
    headers.update({k: v for k, v in (record.get("headers") or {}).items() if k == "Retry-After"})
    return int(record.get("status") or 200), headers, record["body"]


def _as_alias(body: dict[str, object]) -> dict[str, object]:
    """A recorded single ``repository`` answer as the ``r0`` alias of a batch."""
    text = json.dumps(body).replace('"repository"', '"r0"')
    out: dict[str, object] = json.loads(text)
    return out


@needs_shared(*RECORDED)
def test_recorded_rename(api: githubapi.GitHubAPI, endpoint: Endpoint) -> None:
    status, headers, body = _recorded(
        "rubytoolbox-graphql-renamed-repo-resolves-to-new-namewithowner.json"
    )
    endpoint.faults = [(status, headers, _as_alias(body))]
    _, results, facts = _ask(api, ["https://github.com/jnicklas/carrierwave"])
    assert results[0].outcome == "redirect"
    assert results[0].final_url == "https://github.com/carrierwaveuploader/carrierwave"
    assert facts[0].renamed


@needs_shared(*RECORDED)
def test_recorded_not_found(api: githubapi.GitHubAPI, endpoint: Endpoint) -> None:
    status, headers, body = _recorded("rubytoolbox-graphql-not-found-unknown-repo.json")
    endpoint.faults = [(status, headers, _as_alias(body))]
    _, results, facts = _ask(api, ["https://github.com/rubytoolbox/unknown"])
    assert results[0].outcome == "permanent" and not facts


@needs_shared(*RECORDED)
def test_recorded_rate_limit_type_without_headers_leaves_the_rest(
    api: githubapi.GitHubAPI, endpoint: Endpoint
) -> None:
    # 2026's "RATE_LIMIT" type, pasted without headers: no reset known, so no waiting.
    status, headers, body = _recorded("githubkit-issue271-graphql-rate-limit-type-RATE_LIMIT.json")
    endpoint.faults = [(status, headers, body)]
    out, results, _ = _ask(api, ["https://github.com/acme/rocket"])
    assert endpoint.queries == [1] and not results and len(out.left) == 1
    assert "rate limit" in out.notes[0]


@needs_shared(*RECORDED)
@pytest.mark.parametrize(
    "name",
    [
        "app-sre-pr62-rest-403-secondary-rate-limit.json",
        "pygithub-rest-403-abuse-detection-secondary-limit.json",
    ],
)
def test_recorded_limits_are_obeyed(
    api: githubapi.GitHubAPI, endpoint: Endpoint, name: str
) -> None:
    status, headers, body = _recorded(name)
    endpoint.faults = [(status or 200, headers, body)]
    endpoint.reset_in = 5
    waits: list[float] = []
    _, results, _ = _ask(api, ["https://github.com/acme/rocket"], waits=waits)
    assert len(waits) == 1 and waits[0] <= 60
    assert endpoint.queries == [1, 1] and results[0].outcome == "ok"


def test_lone_clone_fixtures_need_no_shared(tmp_path: Path) -> None:
    # The endpoint answers every kind without ../shared: nothing above but the recorded
    # tests reads it.
    assert Endpoint().handle({"Authorization": "Bearer x"}, b"{}")[0] == 400


# --- through `listkeeper check` ---------------------------------------------------------

REPO_README = """# Tools

## Repositories

- [Rocket](https://github.com/acme/rocket) - fast.
- [Old name](https://github.com/old/name) - moved.
- [Attic](https://github.com/acme/attic) - archived.
- [Gone](https://github.com/acme/gone) - deleted.
- [Quiet](https://github.com/acme/quiet) - untouched.
- [Topics](https://github.com/topics/rust) - GitHub's own page.
"""


def _repo_workspace(folder: Path, api_url: str, extra: str = "") -> None:
    (folder / "README.md").write_text(REPO_README)
    (folder / "listkeeper.toml").write_text(
        "[verdicts]\ndead_after_checks = 2\ndead_after_hours = 20\n\n"
        f'[github]\napi_url = "{api_url}"\n{extra}\n'
        '[check]\nexclude = ["/topics/"]\n'
    )


def _checked(folder: Path, api_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    from tests.readmes import cli

    _repo_workspace(folder, api_url)
    assert cli(capsys, "import", "README.md").code == 0
    result = cli(capsys, "check")
    assert result.code == 0, result.err
    return result.err


def test_reports_show_the_repository_facts(
    api: githubapi.GitHubAPI,
    browser: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.readmes import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    _checked(tmp_path, api.url, capsys)
    report = json.loads(cli(capsys, "report", "--format", "json").out)
    assert report["summary"]["archived"] == 1 and report["summary"]["stale"] == 1
    by_url = {link["url"]: link for link in report["links"]}
    attic = by_url["https://github.com/acme/attic"]["repository"]
    assert attic == {
        "name_with_owner": "acme/attic",
        "archived": True,
        "disabled": False,
        "fork": False,
        "pushed_at": "2026-11-30T12:00:00Z",
        "last_commit_at": "2026-11-28T09:30:00Z",
        "stars": 42,
        "stale": False,
        "renamed": False,
    }
    assert by_url["https://github.com/old/name"]["repository"]["renamed"] is True
    assert "repository" not in by_url["https://github.com/acme/gone"]
    assert "repository" not in by_url["https://github.com/topics/rust"]

    markdown = cli(capsys, "report", "--format", "markdown").out
    assert "### Archived repositories (1)" in markdown
    assert "### Renamed repositories (1)" in markdown and "`new/name`" in markdown
    assert "### Stale repositories (1)" in markdown and "last commit 2025-01-01" in markdown
    assert "checked as web pages" not in markdown

    html = cli(capsys, "report", "--format", "html").out
    assert 'id="repositories-archived"' in html and "Archived (1)" in html
    assert "Renamed (1)" in html and "Stale (1)" in html
    assert TOKEN not in markdown + html
    _in_chromium(browser, tmp_path / "report.html", html)


def _in_chromium(browser: Any, path: Path, html: str) -> None:
    """The HTML report's repository sections as Chromium shows them, with no error."""
    from tests.test_report_html import Opened

    path.write_text(html, encoding="utf-8")
    opened = Opened(browser, path)
    try:
        section = opened.page.locator("#repositories")
        assert section.is_visible()
        assert opened.page.inner_text("#repositories-archived") == "Archived (1)"
        text = section.inner_text()
        assert "Attic" in text and "archived" in text and "new/name" in text
        assert opened.errors == []
    finally:
        opened.close()


def test_report_says_a_token_would_help(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import timedelta

    from sqlalchemy import select as sa_select

    from catalog import db
    from catalog.config import Verdicts
    from catalog.models import Link
    from catalog.store import Result, record
    from tests.catalogdb import default_url
    from tests.readmes import cli

    monkeypatch.chdir(tmp_path)
    _repo_workspace(tmp_path, "https://api.github.com")
    assert cli(capsys, "import", "README.md").code == 0
    engine = db.make_engine(default_url(tmp_path))
    with db.session_scope(engine) as s:  # as a crawl without a token stores them
        ids = s.scalars(sa_select(Link.id).where(Link.url.like("%github.com/acme/%"))).all()
        results = [Result(i, "ok", "200", NOW, method="HEAD", http_status=200) for i in ids]
        record(s, results, verdicts=Verdicts(), ttl=timedelta(hours=1), now=NOW)
    engine.dispose()
    markdown = cli(capsys, "report", "--format", "markdown").out
    assert f"_{len(ids)} GitHub repository links were checked as web pages" in markdown
    html = cli(capsys, "report", "--format", "html").out
    assert "checked as web pages" in html


def test_check_asks_the_api_once_and_stores_facts(
    api: githubapi.GitHubAPI,
    endpoint: Endpoint,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.catalogdb import select
    from tests.checking import statuses
    from tests.readmes import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    _repo_workspace(tmp_path, api.url)
    assert cli(capsys, "import", "README.md").code == 0
    result = cli(capsys, "check")
    assert result.code == 0, result.err
    assert endpoint.queries == [5]  # the five repositories, one query; /topics/ is a page
    got = {u: s for u, (s, _) in statuses(tmp_path).items()}
    assert got == {
        "https://github.com/acme/rocket": "ok",
        "https://github.com/old/name": "redirected",
        "https://github.com/acme/attic": "ok",
        "https://github.com/acme/gone": "failing",  # NOT_FOUND: dead only after persistence
        "https://github.com/acme/quiet": "ok",
        "https://github.com/topics/rust": "excluded",
    }
    assert TOKEN not in result.out + result.err
    assert "5 GitHub repositories checked through the API in 1 queries" in result.err
    methods = select(tmp_path, "select distinct method from checks where method is not null")
    assert methods == [("GRAPHQL",)]  # no page request for any of them
    facts = select(
        tmp_path,
        "select l.url, f.name_with_owner, f.archived, f.stale, f.renamed from repository_facts f"
        " join links l on l.id = f.link_id order by l.url",
    )
    assert [(u, n, bool(a), bool(s), bool(r)) for u, n, a, s, r in facts] == [
        ("https://github.com/acme/attic", "acme/attic", True, False, False),
        ("https://github.com/acme/quiet", "acme/quiet", False, True, False),
        ("https://github.com/acme/rocket", "acme/rocket", False, False, False),
        ("https://github.com/old/name", "new/name", False, False, True),
    ]
    final = select(tmp_path, "select final_url from links where url like '%old/name'")
    assert final == [("https://github.com/new/name",)]


def test_check_without_a_token_crawls_politely_and_says_a_token_helps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from catalog.checkconfig import CheckConfig
    from catalog.config import CheckTable, HostTable
    from crawler.checkjob import crawl_settings
    from jobs.check import CheckOptions, _Rounds
    from jobs.context import Context

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    _repo_workspace(tmp_path, "https://api.github.com")
    ctx = Context()
    rounds = _Rounds(ctx, CheckConfig(), CheckOptions(), run_id=0)
    verdicts = ctx.config.verdicts
    settings = crawl_settings(
        ctx.url, verdicts, CheckConfig(), CheckOptions(), {}, 0, rounds.polite
    )
    assert settings["DOWNLOAD_SLOTS"]["github.com"] == {"concurrency": 1, "delay": 2.0}
    assert rounds.repos.take(1, "https://github.com/acme/rocket") is None  # crawled
    assert any("set GITHUB_TOKEN" in line for line in rounds.repos.summary())
    # A host the maintainer configured keeps its own pace.
    cfg = CheckConfig(CheckTable(hosts={"github.com": HostTable(concurrency=3)}))
    settings = crawl_settings(
        ctx.url, verdicts, cfg, CheckOptions(), {}, 0, _Rounds(ctx, cfg, CheckOptions(), 0).polite
    )
    assert settings["DOWNLOAD_SLOTS"]["github.com"] == {"concurrency": 3}


# --- the pull request ---------------------------------------------------------------------

TODAY = date(2026, 12, 5)


def test_archived_policy_mark_remove_keep_and_the_ignore_comment() -> None:
    from catalog import pullrequest as prlogic

    text = (
        "- [Attic](https://github.com/acme/attic) - old.\n"
        "- [Kept](https://github.com/acme/kept) <!-- listkeeper:ignore still the best -->\n"
        "See [the attic](https://github.com/acme/attic) in prose.\n"
        "- [Rocket](https://github.com/acme/rocket)\n"
    )
    rows: list[tuple[str, int, str | None]] = [
        ("https://github.com/acme/attic", 1, None),
        ("https://github.com/acme/kept", 2, None),
        ("https://github.com/acme/attic", 3, None),
    ]

    def policy(name: str) -> prlogic.Outcome:
        settings = prlogic.settings({"pr": {"archived": name}})
        changes = prlogic.archived_changes(rows, settings)
        return prlogic.apply_changes(text, changes, today=TODAY)

    marked = policy("mark")
    assert marked.text.splitlines()[0] == (
        "- [Attic](https://github.com/acme/attic) *(archived)* - old."
    )
    assert "[the attic](https://github.com/acme/attic) *(archived)* in prose" in marked.text
    assert "acme/kept) <!--" in marked.text  # kept on purpose
    assert [s.why for s in marked.skipped] == ["kept on purpose: still the best"]
    assert (
        policy("mark").text
        == prlogic.apply_changes(
            marked.text,
            prlogic.archived_changes(rows, prlogic.settings({"pr": {"archived": "mark"}})),
            today=TODAY,
        ).text
    )  # marking twice marks once

    removed = policy("remove")
    assert removed.text == (
        "- [Kept](https://github.com/acme/kept) <!-- listkeeper:ignore still the best -->\n"
        "See [the attic](https://github.com/acme/attic) in prose.\n"
        "- [Rocket](https://github.com/acme/rocket)\n"
    )
    assert {s.why for s in removed.skipped} == {
        "kept on purpose: still the best",
        "not a list item: remove it by hand",
    }
    body = prlogic.body(_empty_report(), removed, readme="README.md")
    assert "removed: an archived repository" in body

    assert policy("keep").text == text
    # Renamed and archived: rewritten, then marked under the new URL.
    moved = "- [Old](https://github.com/old/attic) - old.\n"
    changes = [
        prlogic.Change("rewrite", "https://github.com/old/attic", "https://github.com/new/attic"),
        *prlogic.archived_changes(
            [("https://github.com/old/attic", 1, "https://github.com/new/attic")],
            prlogic.settings({}),
        ),
    ]
    both = prlogic.apply_changes(moved, changes, today=TODAY)
    assert both.text == "- [Old](https://github.com/new/attic) *(archived)* - old.\n"
    assert prlogic.settings({}).archived == "mark"  # the default
    with pytest.raises(ConfigError, match=r"\[pr\] archived"):
        prlogic.settings({"pr": {"archived": "delete"}})


def _empty_report():  # type: ignore[no-untyped-def]
    from catalog.reports import Report, Summary

    return Report(generated_at=NOW, summary=Summary(), links=())


def test_one_api_url_for_check_and_pr() -> None:
    from catalog import pullrequest as prlogic

    raw = {"github": {"api_url": "https://ghe.example/api/v3"}}
    assert prlogic.settings(raw).api_url == "https://ghe.example/api/v3"
    assert github_settings(raw).graphql_url == "https://ghe.example/api/graphql"
    both = {**raw, "pr": {"api_url": "https://other.example"}}
    assert prlogic.settings(both).api_url == "https://other.example"  # [pr] keeps working
    assert prlogic.settings({}).api_url == "https://api.github.com"


def test_pr_rewrites_the_rename_and_marks_the_archived(
    api: githubapi.GitHubAPI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import subprocess

    from tests.readmes import cli

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=M", "-c", "user.email=m@example.com", *args],
            cwd=tmp_path / "clone",
            check=True,
            capture_output=True,
        )

    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(tmp_path / "remote.git")])
    subprocess.run(["git", "clone", "-q", str(tmp_path / "remote.git"), str(tmp_path / "clone")])
    clone = tmp_path / "clone"
    monkeypatch.chdir(clone)
    _repo_workspace(clone, api.url, extra="")
    with (clone / "listkeeper.toml").open("a") as f:
        f.write('\n[pr]\nrepo = "octo/list"\nbase = "main"\n')
    git("add", "README.md", "listkeeper.toml")
    git("commit", "-qm", "the list")
    git("push", "-q", "origin", "HEAD:refs/heads/main")
    assert cli(capsys, "import", "README.md").code == 0
    assert cli(capsys, "check").code == 0
    result = cli(capsys, "pr", "--dry-run")
    assert result.code == 0, result.err
    assert "+- [Old name](https://github.com/new/name) - moved." in result.out
    assert "+- [Attic](https://github.com/acme/attic) *(archived)* - archived." in result.out
    assert "marked as an archived repository" in result.out
    assert TOKEN not in result.out + result.err


# --- check --added-since ----------------------------------------------------------------


@pytest.mark.parametrize("reject", [True, False])
def test_added_since_fails_a_pr_adding_a_missing_or_archived_repository(
    api: githubapi.GitHubAPI,
    endpoint: Endpoint,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    reject: bool,
) -> None:
    import subprocess

    from tests.readmes import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    (tmp_path / "README.md").write_text("# Tools\n\n- [Rocket](https://github.com/acme/rocket)\n")
    (tmp_path / "listkeeper.toml").write_text(
        f'[github]\napi_url = "{api.url}"\nreject_archived = {str(reject).lower()}\n'
    )
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q"], check=True)
    subprocess.run([*git, "add", "README.md"], check=True)
    subprocess.run([*git, "commit", "-qm", "list"], check=True)
    endpoint.add("acme/kept", Repo("acme/kept", archived=True))
    with (tmp_path / "README.md").open("a") as f:
        f.write("- [Attic](https://github.com/acme/attic)\n")
        f.write("- [Kept](https://github.com/acme/kept) <!-- listkeeper:ignore still useful -->\n")
    archived_only = cli(capsys, "check", "--added-since", "HEAD", "README.md")
    assert "2 links added since HEAD" in archived_only.out
    assert endpoint.queries == [2]
    if reject:
        assert archived_only.code == 2, archived_only.err
        assert "archived   https://github.com/acme/attic  (archived repository" in archived_only.out
        assert "ok         https://github.com/acme/kept" in archived_only.out  # on purpose
    else:
        assert archived_only.code == 0, archived_only.out
    with (tmp_path / "README.md").open("a") as f:
        f.write("- [Gone](https://github.com/acme/gone)\n")
    missing = cli(capsys, "check", "--added-since", "HEAD", "README.md")
    assert missing.code == 2  # a missing repository fails whatever reject_archived says
    assert "dead       https://github.com/acme/gone" in missing.out


# --- templates ----------------------------------------------------------------------------

TEMPLATE_README = """# Tools

<!-- listkeeper:begin tools -->
#### A tools

- [Attic](https://github.com/acme/attic) - kept for history.

#### R tools

- [Rocket](https://github.com/acme/rocket) - fast.
- [Rules](https://rules.example/) - a page.
<!-- listkeeper:end tools -->
"""


@pytest.mark.parametrize("template", ["", "letter_groups_github.md.j2"])
def test_templates_get_the_facts_off_by_default(
    api: githubapi.GitHubAPI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    template: str,
) -> None:
    from tests.readmes import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    (tmp_path / "README.md").write_text(TEMPLATE_README)
    (tmp_path / "listkeeper.toml").write_text(
        f'[github]\napi_url = "{api.url}"\n[check]\nexclude = ["rules.example"]\n\n'
        '[[render.regions]]\nname = "tools"\nkind = "letter-groups"\ngroup = "tools"\n'
        + (f'template = "{template}"\n' if template else "")
    )
    assert cli(capsys, "import", "README.md").code == 0
    assert cli(capsys, "check").code == 0
    assert cli(capsys, "render", "README.md").code == 0
    once = (tmp_path / "README.md").read_text()
    if not template:
        assert "★" not in once and "<sub>" not in once  # off by default: no facts shown
        return
    assert (
        "- [Attic](https://github.com/acme/attic) - kept for history."
        " <sub>★ 42 · last commit 2026-11-28 · archived</sub>\n"
    ) in once
    assert "- [Rocket](https://github.com/acme/rocket) - fast. <sub>★ 1,200 · last commit" in once
    assert "- [Rules](https://rules.example/) - a page.\n" in once
    assert cli(capsys, "import", "README.md").code == 0
    assert cli(capsys, "render", "README.md").code == 0
    assert (tmp_path / "README.md").read_text() == once  # badges are not read back as text


def test_queued_checks_ask_the_api_from_the_check_process_not_the_workers(
    api: githubapi.GitHubAPI,
    endpoint: Endpoint,
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from crawler.queue import connect
    from jobs import check as check_job
    from jobs.context import Context
    from tests.checking import statuses
    from tests.readmes import cli

    client = connect(redis_url)
    client.flushdb()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    _repo_workspace(tmp_path, api.url)
    with (tmp_path / "README.md").open("a") as f:
        f.write("- [A page](https://docs.example.invalid/guide) - read it.\n")
    assert cli(capsys, "import", "README.md").code == 0
    capsys.readouterr()
    assert check_job.check(Context(), check_job.CheckOptions(queue=redis_url)) == 0
    out = capsys.readouterr()
    assert "queued 1 links" in out.out  # the page only: workers never see a repository
    assert endpoint.queries == [5] and endpoint.max_in_flight == 1
    got = {u: s for u, (s, _) in statuses(tmp_path).items()}
    assert got["https://github.com/old/name"] == "redirected"  # answered before any worker
    assert got["https://docs.example.invalid/guide"] == "unchecked"
    client.flushdb()
    client.close()


def test_a_missing_repository_is_dead_only_once_it_persists(
    api: githubapi.GitHubAPI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.checking import statuses
    from tests.readmes import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("LISTKEEPER_NOW", "2026-12-05T08:00:00+00:00")
    _checked(tmp_path, api.url, capsys)
    gone = "https://github.com/acme/gone"
    assert statuses(tmp_path)[gone][0] == "failing"
    monkeypatch.setenv("LISTKEEPER_NOW", "2026-12-06T06:00:00+00:00")  # 22 h later
    second = cli(capsys, "check")
    assert second.code == 2, second.err  # dead: two NOT_FOUND answers 20+ hours apart
    assert statuses(tmp_path)[gone][0] == "dead"
    assert statuses(tmp_path)["https://github.com/acme/rocket"][0] == "ok"
