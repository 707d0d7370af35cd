"""The JUnit XML report: valid XML, one suite per document, one case per link, escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy import Engine

from catalog import db
from catalog.formats import FORMATS, junit
from catalog.importer import import_readme
from catalog.reports import Report, Summary
from tests.test_report_html import (
    HOSTILE,
    HOSTILE_ERROR,
    NOW,
    TOTAL,
    _link,
    make_catalog,
    report_of,
)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _cases(suite: ET.Element, kind: str | None) -> list[str]:
    """The names of the cases of *suite* with a *kind* child (None: passed)."""
    out = []
    for case in suite.iter("testcase"):
        children = {child.tag for child in case} - {"system-out"}
        if (kind is None and not children) or (kind is not None and kind in children):
            out.append(case.get("name", ""))
    return out


def test_suites_cases_failures_and_skips(engine: Engine, tmp_path: Path) -> None:
    make_catalog(engine, tmp_path)
    other = tmp_path / "OTHER.md"
    other.write_text(
        "# Other\n\n- [Zeta](https://zeta.example/)\n- [Alpha](https://alpha.example/)\n"
    )
    with db.session_scope(engine) as s:
        import_readme(s, other)
        # A control character from the web would make invalid XML: it is dropped. (Not a
        # NUL: catalog.store drops those before they are stored, as PostgreSQL refuses them.)
        _link(s, "https://beta.example/docs").error = HOSTILE_ERROR + "\x01\x1b[31m"
    report, _ = report_of(engine)
    text = junit.format_report(report)
    assert FORMATS["junit"] is junit.format_report
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert text == junit.format_report(report)  # deterministic
    root = ET.fromstring(text.encode("utf-8"))

    assert root.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert list(suites) == ["OTHER.md", "README.md"]
    readme, other_suite = suites["README.md"], suites["OTHER.md"]
    assert len(readme.findall("testcase")) == TOTAL
    assert (readme.get("tests"), readme.get("failures"), readme.get("skipped")) == ("10", "3", "4")
    assert readme.get("errors") == "0"
    assert sorted(_cases(readme, "failure")) == [
        "https://alpha.example/",
        "https://beta.example/docs",
        "https://lambda.example/",
    ]
    assert sorted(_cases(readme, "skipped")) == [
        "https://iota.example/a",
        "https://kappa.example/",
        "https://theta.example/",
        "mailto:team@example.com",
    ]
    assert sorted(_cases(readme, None)) == [
        "https://delta.example/",
        "https://eta.example/post",
        "https://gamma.example/old",
    ]
    # Alpha is written in both documents: a case of each; Zeta is unchecked: skipped.
    assert (other_suite.get("tests"), other_suite.get("failures")) == ("2", "1")
    assert other_suite.get("skipped") == "1"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("12", "4", "5")

    cases = {case.get("name"): case for case in readme.iter("testcase")}
    alpha = cases["https://alpha.example/"]
    assert (alpha.get("classname"), alpha.get("file"), alpha.get("line")) == (
        "Links > Tools",
        "README.md",
        "5",
    )
    failure = alpha.find("failure")
    assert failure is not None and failure.get("type") == "dead"
    assert failure.get("message") == "dead: HTTP 404, Not Found; failing for 3 days"
    assert "in README.md:21 (Links > Reading > Deep)" in (failure.text or "")
    assert "check 2024-06-09 12:00 UTC: permanent HTTP 404 Not Found" in (failure.text or "")

    beta = cases["https://beta.example/docs"].find("failure")
    assert beta is not None and beta.get("type") == "failing"
    assert HOSTILE_ERROR in (beta.get("message") or "")  # escaped in the file, text when read
    assert "\x01" not in (beta.get("message") or "")
    assert f"title: {HOSTILE}" in (beta.text or "")
    assert "<script>" not in text  # escaped by xml.etree

    theta = cases["https://theta.example/"].find("skipped")
    assert theta is not None and (theta.get("message") or "").startswith("blocked:")
    mail = cases["mailto:team@example.com"].find("skipped")
    assert mail is not None and (mail.get("message") or "").startswith("excluded:")
    gamma = cases["https://gamma.example/old"].find("system-out")
    assert gamma is not None and "ends at: https://gamma.example/final" in (gamma.text or "")
    assert "redirect: 301 https://gamma.example/new" in (gamma.text or "")


def test_empty_report_is_valid_xml() -> None:
    root = ET.fromstring(
        junit.format_report(Report(generated_at=NOW, summary=Summary(), links=())).encode()
    )
    assert root.tag == "testsuites" and root.get("tests") == "0"
    assert root.findall("testsuite") == []


def test_clean_drops_what_xml_cannot_hold() -> None:
    assert junit.clean("a\x00b\x1fc\td\ud800e\ufffe") == "abc\tde"
