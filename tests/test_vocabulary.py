"""One vocabulary (catalog.vocabulary) that every layer and every output derives from."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields

from catalog.formats.markdown import format_report
from catalog.reports import STATUS_ORDER, Report, Summary
from catalog.vocabulary import URGENCY, ErrorKind, LinkStatus, utcnow


def test_the_vocabulary_needs_neither_sqlalchemy_nor_scrapy() -> None:
    code = (
        "import sys, catalog.vocabulary; print(sorted({'sqlalchemy', 'scrapy'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_summary_is_the_statuses_in_their_order() -> None:
    names = [f.name for f in fields(Summary)]
    assert names[: 1 + len(LinkStatus)] == ["total", *(s.value for s in LinkStatus)]
    assert set(STATUS_ORDER) == set(LinkStatus) == set(URGENCY)
    assert len(URGENCY) == len(LinkStatus)


def test_the_markdown_summary_follows_the_reports_order() -> None:
    counts = {s.value: i + 1 for i, s in enumerate(LinkStatus)}
    report = Report(generated_at=utcnow(), summary=Summary(total=99, **counts), links=())
    text = format_report(report)
    header = next(line for line in text.splitlines() if line.startswith("| dead"))
    assert header == "| " + " | ".join([*(s.value for s in URGENCY), "total"]) + " |"
    sentence = next(line for line in text.splitlines() if line.startswith("**99 links**"))
    assert sentence.index("dead") < sentence.index("failing") < sentence.index(" ok.")
    assert f"{counts['unchecked']} not checked" in sentence


def test_deferred_is_an_error_kind() -> None:
    assert ErrorKind("deferred") is ErrorKind.DEFERRED


def test_checking_scrapy_settings_does_not_import_scrapy() -> None:
    """Config load checks [check.settings] against Scrapy's defaults read from its source:
    importing Scrapy there cost a quarter of a second before the crawl process started."""
    code = (
        "import sys; from crawler.settings import settings_problem;"
        "print(settings_problem({'DOWNLOAD_MAXSIZE': 'big'}));"
        "print('scrapy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    problem, imported = out.stdout.strip().splitlines()
    assert "DOWNLOAD_MAXSIZE" in problem and "number" in problem, problem
    assert imported == "False"
