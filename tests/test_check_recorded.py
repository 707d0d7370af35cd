"""The recorded real responses, replayed by the offline web and checked end to end.

Each record of ../shared/corpora/responses names what a link checker should conclude;
this crawls every link-check record through Scrapy's downloader and the pipelines and
asserts the status listkeeper stores: all 61 link-check records agree (36 blocked,
16 dead, 7 suspect, 1 redirected, 1 failing). Hosts are reached by name through the stub
resolver, so that redirects between hosts look as they did when recorded.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.testkit.recorded import recorded_web
from tests.checking import statuses, write_workspace
from tests.conftest import needs_shared, shared_path
from tests.readmes import cli

# The corpus's conclusion -> the link's status after one check with thresholds 1 and 0.
EXPECTED_STATUS = {
    "dead": "dead",
    "blocked_inconclusive": "blocked",
    "soft_404_likely_dead": "suspect",
    "access_restricted": "suspect",
    "transient_retry": "failing",
    "redirect_follow": "redirected",
}
NOT_LINK_CHECKS = {"github_api", "wayback"}  # the pr job's and Wayback exchanges


@needs_shared()
def test_recorded_responses_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    web, records = recorded_web(shared_path("corpora", "responses", "index.json"), by_name=True)
    checks = [r for r in records if r.category not in NOT_LINK_CHECKS]
    with OfflineWeb(web) as ow:
        urls = {r.id: ow.url(r.host, r.path, by_name=True) for r in checks}
        write_workspace(tmp_path, ow, urls, allow_networks=["127.0.0.0/8"])
        monkeypatch.chdir(tmp_path)
        assert cli(capsys, "import", "README.md").code == 0
        cli(capsys, "check")
    got = statuses(tmp_path)
    wrong = {}
    for r in checks:
        status, error = got[urls[r.id]]
        want = EXPECTED_STATUS[r.expected_conclusion]
        if status != want:
            wrong[r.id] = (status, want, error)
    tally = Counter(EXPECTED_STATUS[r.expected_conclusion] for r in checks)
    assert wrong == {}, f"{len(wrong)} of {len(checks)} differ ({dict(tally)})"
