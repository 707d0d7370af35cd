"""The JUnit XML report, for CI systems that show test results (GitLab, Jenkins, Azure, ...).

``<testsuites>`` holds one ``<testsuite>`` per document (named by its path; a link written
in two documents is a test case of each), and one ``<testcase>`` per link written there:

- ``name`` is the URL, ``classname`` the section it is written in (its heading path, or the
  document when it is above the first heading), ``file`` and ``line`` where it is written
  (its first place in that document);
- **dead** and **failing** links are a ``<failure>`` (``type`` is the status: a failing link
  is not dead yet, one flaky night does not make a link dead, but it needs a look);
- **blocked**, **suspect**, **excluded** and **unchecked** links are ``<skipped>`` with the
  reason in ``message``: the check could not decide (a bot wall, a page that may not be the
  article any more), was not made (mailto:, tel:, ...) or has not run yet — none is evidence
  that the link is broken, so none turns a CI run red;
- **ok** and **redirected** links pass (a redirect says where it ends in ``<system-out>``).

Failures and skips carry the evidence (last checks, error, redirect chain, the places in the
README) as text. The XML is built with ``xml.etree`` (so every value is escaped), and the
characters XML 1.0 cannot hold (control characters, lone surrogates) are dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable

from catalog.changes import PageChange
from catalog.formats.markdown import duration, when
from catalog.reports import Report, ReportLink, Source
from catalog.vocabulary import LinkStatus

FAILURES = frozenset({LinkStatus.DEAD, LinkStatus.FAILING})
SKIPPED = frozenset(
    {LinkStatus.BLOCKED, LinkStatus.SUSPECT, LinkStatus.EXCLUDED, LinkStatus.UNCHECKED}
)
REASONS = {
    LinkStatus.DEAD: "dead",
    LinkStatus.FAILING: "failing",
    LinkStatus.BLOCKED: "blocked: the site refuses robots; no evidence that the page is gone",
    LinkStatus.SUSPECT: "suspect: the page may not be the article any more; check it by hand",
    LinkStatus.EXCLUDED: "excluded: not checked (not an http(s) link, or excluded on purpose)",
    LinkStatus.UNCHECKED: "unchecked: not checked yet",
}
NO_DOCUMENT = "(catalog)"  # the suite of links no document holds (not in a build_report)

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(value: object) -> str:
    """*value* as text XML 1.0 can hold."""
    return _NOT_XML.sub("", str(value))


def format_report(report: Report) -> str:
    root = ET.Element("testsuites", name="listkeeper")
    totals: Counter[str] = Counter()
    for document, cases in _by_document(report):
        suite = ET.SubElement(root, "testsuite", name=clean(document))
        counts: Counter[str] = Counter()
        for link, source in cases:
            counts["tests"] += 1
            counts[_case(suite, document, link, source)] += 1
        _counts(suite, counts)
        suite.set("timestamp", report.generated_at.strftime("%Y-%m-%dT%H:%M:%S"))
        suite.set("hostname", "listkeeper")
        totals.update(counts)
    _counts(root, totals)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _counts(element: ET.Element, counts: Counter[str]) -> None:
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(counts[key]))
    element.set("time", "0")


def _by_document(report: Report) -> list[tuple[str, list[tuple[ReportLink, Source | None]]]]:
    """Each document with its links (in the report's order) and their first place in it."""
    suites: dict[str, list[tuple[ReportLink, Source | None]]] = {}
    for link in report.links:
        first: dict[str, Source] = {}
        for source in link.sources:
            if source.document not in first or source.line < first[source.document].line:
                first[source.document] = source
        if not first:
            suites.setdefault(NO_DOCUMENT, []).append((link, None))
        for document, source in first.items():
            suites.setdefault(document, []).append((link, source))
    return sorted(suites.items())


def _case(suite: ET.Element, document: str, link: ReportLink, source: Source | None) -> str:
    """Add the test case of *link*; return what it counts as: failures, skipped or passed."""
    case = ET.SubElement(
        suite,
        "testcase",
        name=clean(link.url),
        classname=clean(source.section if source and source.section else document),
        time="0",
    )
    if source is not None:
        case.set("file", clean(source.document))
        case.set("line", str(source.line))
    details = "\n".join(_details(link))
    if link.status in FAILURES:
        failure = ET.SubElement(
            case, "failure", message=clean(_message(link)), type=link.status.value
        )
        failure.text = clean(details)
        return "failures"
    if link.status in SKIPPED:
        ET.SubElement(case, "skipped", message=clean(_message(link)))
        if details:
            ET.SubElement(case, "system-out").text = clean(details)
        return "skipped"
    if link.status == LinkStatus.REDIRECTED:
        ET.SubElement(case, "system-out").text = clean(details)
    return "passed"


def _message(link: ReportLink) -> str:
    parts = [REASONS[link.status]]
    if link.status in FAILURES or link.status == LinkStatus.SUSPECT:
        last = [f"HTTP {link.http_status}"] if link.http_status is not None else []
        if link.error:
            last.append(" ".join(link.error.split())[:300])
        if last:
            parts.append(", ".join(last))
        ev = link.evidence
        if ev is not None and ev.failing_for is not None:
            parts.append(f"failing for {duration(ev.failing_for)}")
    if link.status in FAILURES and len(parts) > 1:  # "dead: HTTP 404, Not Found; failing ..."
        parts[:2] = [f"{parts[0]}: {parts[1]}"]
    return "; ".join(parts)


def _details(link: ReportLink) -> Iterable[str]:
    if link.title:
        yield f"title: {link.title}"
    if link.final_url and link.final_url != link.url:
        yield f"ends at: {link.final_url}"
    if link.first_failed_at is not None and link.status in FAILURES:
        n = link.consecutive_failures
        yield f"failing since {when(link.first_failed_at)}, {n} failed check(s) in a row"
    ev = link.evidence
    if ev is not None:
        for hop in ev.redirects:
            status = f"{hop.status} " if hop.status is not None else ""
            yield f"redirect: {status}{hop.url}"
        for check in ev.checks:
            http = f" HTTP {check.http_status}" if check.http_status is not None else ""
            error = f" {check.error}" if check.error else ""
            yield f"check {when(check.checked_at)}: {check.outcome}{http}{error}"
    yield from _change_details(link.change)
    for source in link.sources:
        section = f" ({source.section})" if source.section else ""
        yield f"in {source.document}:{source.line}{section}"


def _change_details(change: PageChange | None) -> Iterable[str]:
    """A parked or replaced page: since when, confirmed or not, before and after."""
    if change is None:
        return
    state = "confirmed" if change.confirmed else "not confirmed yet"
    since = f" since {when(change.changed_at)}" if change.changed_at else ""
    yield f"{change.kind}{since} ({state}): {change.reason}"
    yield "before: " + (" · ".join(change.before.parts()) if change.before else "nothing good read")
    yield "after: " + " · ".join(change.after.parts())
