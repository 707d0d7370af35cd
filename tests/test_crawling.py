"""jobs.crawling: a crawl process started ahead of its job."""

from __future__ import annotations

import pytest

from catalog.errors import ListkeeperError
from jobs.crawling import CrawlChild


def test_a_child_without_a_job_exits_cleanly() -> None:
    child = CrawlChild()
    child.cancel()
    assert child.proc.returncode == 0


def test_a_child_runs_the_job_it_is_handed_and_reports_its_failure() -> None:
    child = CrawlChild()
    with pytest.raises(ListkeeperError, match="the nosuch crawl failed"):
        child.run("nosuch", {}, {})
    assert child.proc.returncode not in (0, None)


def test_an_empty_link_crawl_succeeds_in_a_started_child() -> None:
    child = CrawlChild()
    child.run("links", {"links": []}, {"STORE_DATABASE_URL": "sqlite://"})
    assert child.proc.returncode == 0
