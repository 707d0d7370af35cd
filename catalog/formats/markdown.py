"""The Markdown report: what a maintainer reads in a pull request or an issue.

A summary, then the links grouped by status, the dead first, each with how long it has
been failing, where it is written (``README.md:123 (Section)``), the last status or error
and the redirect chain. Sized for a PR body (GitHub refuses more than 65,536 characters):
past ``max_chars`` the rest is summed up in one line. Text from the web or a README
(titles, errors, headings) is escaped so it cannot break the Markdown, and ``@mentions``
and ``fixes #N`` are defused so a report never pings anyone or closes anything.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from catalog.changes import Look, PageChange, PageSide
from catalog.escape import md_text, md_url
from catalog.hygiene import Hygiene
from catalog.reports import STATUS_ORDER, Report, ReportLink, Source
from catalog.urls import web_url
from catalog.vocabulary import LinkKind, LinkStatus

MAX_CHARS = 60_000  # GitHub's limit for a PR or issue body is 65,536
MAX_TEXT = 200  # a title or an error longer than this is cut
MAX_SOURCES = 5  # places shown per link
_RESERVE = 400  # room always kept for the closing line

ZWJ = "\u200d"
_MENTION = re.compile(r"@(?=\w)")
_ISSUE_REF = re.compile(r"#(?=\d)")
_GH_REF = re.compile(r"\b(GH)-(?=\d)", re.IGNORECASE)
_CLOSING = re.compile(r"\b(close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b", re.IGNORECASE)

HEADINGS = {
    LinkStatus.DEAD: "Dead",
    LinkStatus.FAILING: "Failing",
    LinkStatus.SUSPECT: "Suspect",
    LinkStatus.BLOCKED: "Blocked by the site",
    LinkStatus.REDIRECTED: "Redirected",
    LinkStatus.UNCHECKED: "Not checked yet",
    LinkStatus.EXCLUDED: "Excluded",
    LinkStatus.OK: "OK",
}
_SAID = {LinkStatus.UNCHECKED: "not checked"}  # the summary sentence's words
_FOLDED = frozenset({LinkStatus.OK, LinkStatus.EXCLUDED})  # inside <details>


def neutralise(text: str) -> str:
    """Defuse GitHub's @mentions, #N / GH-N references and closing keywords."""
    text = _MENTION.sub("@" + ZWJ, text)
    text = _ISSUE_REF.sub("#" + ZWJ, text)
    text = _GH_REF.sub(lambda m: m[1] + ZWJ + "-", text)
    return _CLOSING.sub(lambda m: m[0][0] + ZWJ + m[0][1:], text)


def text(value: str, limit: int = MAX_TEXT) -> str:
    """Untrusted text → inline Markdown that shows as itself and links to nothing."""
    value = " ".join(value.split())
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return neutralise(md_text(value))


def code(value: str, limit: int = 300) -> str:
    """A code span holding *value*, whatever backticks it contains."""
    value = " ".join(value.split())
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    fence = "`" * (max((len(r) for r in re.findall(r"`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "less than a minute"


def when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def format_report(report: Report, max_chars: int = MAX_CHARS) -> str:
    """The report as Markdown, never longer than *max_chars*."""
    out = [_header(report), repositories(report, max_chars // REPOS_SHARE)]
    hygiene = hygiene_section(report.hygiene, max_chars // HYGIENE_SHARE)
    hygiene += look_section(report.looks, max_chars // LOOK_SHARE)
    budget = max_chars - _RESERVE - len(hygiene)
    size = len(out[0]) + len(out[1])
    shown = 0
    for status in STATUS_ORDER:
        group = [link for link in report.links if link.status == status]
        if not group:
            continue
        opening, closing = _group_frame(status, len(group))
        size += len(opening) + len(closing)
        if size + len(_item(group[0])) > budget:
            break
        out.append(opening)
        for link in group:
            item = _item(link)
            if size + len(item) > budget:
                break
            out.append(item)
            size += len(item)
            shown += 1
        out.append(closing)
        if shown < sum(1 for link in report.links if _RANK[link.status] <= _RANK[status]):
            break  # this group was cut: the rest is summed up
    rest = report.links[shown:]
    if rest:
        out.append(_more(rest))
    out.append(hygiene)
    return "".join(out)


HYGIENE_SHARE = 4  # the hygiene section takes at most a quarter of the report


def hygiene_section(problems: Sequence[Hygiene], limit: int) -> str:
    """``### README hygiene (N)``: one line a problem, cut to *limit* characters."""
    if not problems:
        return ""
    head = f"\n### README hygiene ({len(problems)})\n\n"
    out, size = [head], len(head)
    lines = []
    for h in problems:
        line = f"- {text(h.document)}:{h.line} {h.kind}: {text(h.message, 300)}"
        if h.fix and h.fix not in h.message:
            line += f"; fix: {text(h.fix, 300)}"
        lines.append(line + "\n")
    return capped(out, lines, "`listkeeper import README.md` lists them all", limit - size)


def capped(out: list[str], lines: Sequence[str], where: str, room: int) -> str:
    """*out* and as many *lines* as fit in *room*, then "…and N more: *where*"."""
    size = 0
    for n, line in enumerate(lines):
        more = f"- …and {len(lines) - n} more: {where}\n"
        if size + len(line) + len(more) > room:
            out.append(more)
            break
        out.append(line)
        size += len(line)
    return "".join(out)


LOOK_SHARE = 8  # the "worth a look" section takes at most an eighth of the report


def look_section(looks: Sequence[Look], limit: int) -> str:
    """``### Worth a look (N)``: README entries whose text and page title share no word."""
    if not looks:
        return ""
    head = (
        f"\n### Worth a look ({len(looks)})\n\n"
        "_The entry's text and the page's title have no word in common: not a verdict._\n\n"
    )
    lines = [
        f"- {text(k.document)}:{k.line} [{text(k.text, 120)}]({md_url(k.url)}): "
        f"the page is titled {text(k.title, 120)}\n"
        for k in looks
    ]
    return capped([head], lines, "`listkeeper report --format json` lists them", limit - len(head))


def _side(side: PageSide | None) -> str:
    if side is None:
        return "nothing good read before"
    return " · ".join(text(part, 100) for part in side.parts())


def change_lines(change: PageChange | None) -> list[str]:
    """A parked or replaced page: what, since when, confirmed or not, before → after."""
    if change is None:
        return []
    state = "confirmed" if change.confirmed else "not confirmed yet"
    since = f" since {when(change.changed_at)}" if change.changed_at else ""
    return [
        f"  - **{change.kind}**{since} ({state}): {text(change.reason)}",
        f"  - before: {_side(change.before)}",
        f"  - after: {_side(change.after)}",
    ]


_RANK = {status: i for i, status in enumerate(STATUS_ORDER)}


def _header(report: Report) -> str:
    s = report.summary
    where = f" in {text(report.document)}" if report.document else ""
    counts = s.as_dict()
    said = [f"{counts[status.value]} {_SAID.get(status, status.value)}" for status in STATUS_ORDER]
    said[0] = f"**{said[0]}**"  # the first, dead, is what the report is for
    lines = [
        "## Link report\n\n",
        f"**{s.total} links**{where}: {', '.join(said)}.\n\n",
        "| " + " | ".join([*(status.value for status in STATUS_ORDER), "total"]) + " |\n",
        "|" + " ---: |" * (len(STATUS_ORDER) + 1) + "\n",
        "| " + " | ".join(str(counts[k]) for k in [*STATUS_ORDER, "total"]) + " |\n\n",
    ]
    if report.history_starts_now:
        lines.append(
            f"_No link has been checked yet: the history starts now ({when(report.generated_at)})._"
            "\n\n"
        )
    elif report.history_since is not None:
        lines.append(
            f"_Checks since {when(report.history_since)}; "
            f"report of {when(report.generated_at)}._\n\n"
        )
    return "".join(lines)


def _group_frame(status: LinkStatus, n: int) -> tuple[str, str]:
    title = f"{HEADINGS[status]} ({n})"
    if status in _FOLDED:
        return f"<details>\n<summary>{title}</summary>\n\n", "\n</details>\n\n"
    return f"### {title}\n\n", "\n"


def _label(link: ReportLink) -> str:
    label = text(link.title) if link.title else ""
    if link.kind == LinkKind.EXTERNAL and web_url(link.url):  # the one URL gate
        return f"[{label or text(link.url)}]({md_url(link.url)})"
    return f"{label} {code(link.url)}" if label else code(link.url)


def _where(source: Source) -> str:
    place = f"{text(source.document)}:{source.line}"
    if not source.section:
        return place
    # A ">" mid-line is plain text in Markdown: the heading path stays readable unescaped.
    return f"{place} ({' > '.join(text(part) for part in source.section.split(' > '))})"


def _sources(link: ReportLink) -> str:
    places = ", ".join(_where(s) for s in link.sources[:MAX_SOURCES])
    more = len(link.sources) - MAX_SOURCES
    return places + (f" and {more} more" if more > 0 else "")


def _last(link: ReportLink) -> str:
    parts = []
    if link.http_status is not None:
        parts.append(f"HTTP {link.http_status}")
    if link.error:
        parts.append(text(link.error))
    if link.checked_at is not None:
        parts.append(f"at {when(link.checked_at)}")
    return " · ".join(parts)


def _item(link: ReportLink) -> str:
    head = f"- {_label(link)}"
    ev = link.evidence
    if link.status == LinkStatus.REDIRECTED and link.final_url:
        head += f" → {code(link.final_url)}"
    if ev is not None and ev.failing_for is not None:
        since = f" (since {when(link.first_failed_at)})" if link.first_failed_at else ""
        head += f": failing for **{duration(ev.failing_for)}**{since}"
        if link.consecutive_failures:
            n = link.consecutive_failures
            head += f", {n} failed check{'s' if n != 1 else ''} in a row"
    if ev is None:  # ok, unchecked, excluded: one line
        where = _sources(link)
        return f"{head}{' — ' + where if where else ''}\n"
    lines = [head]
    if link.sources:
        lines.append(f"  - in {_sources(link)}")
    lines += change_lines(link.change)
    last = _last(link)
    if last:
        lines.append(f"  - last: {last}")
    if ev.redirects:
        chain = "".join(
            f" →{' ' + str(h.status) if h.status is not None else ''} {code(h.url)}"
            for h in ev.redirects
        )
        lines.append(f"  - redirects: {code(link.url)}{chain}")
    if len(ev.checks) > 1:
        history = "; ".join(
            f"{when(c.checked_at)} {text(c.outcome, 20)}"
            + (f" {c.http_status}" if c.http_status is not None else "")
            for c in ev.checks
        )
        lines.append(f"  - checks: {history}")
    return "\n".join(lines) + "\n"


def _more(rest: tuple[ReportLink, ...]) -> str:
    counts = Counter(link.status for link in rest)
    parts = ", ".join(f"{counts[s]} {s.value}" for s in STATUS_ORDER if counts[s])
    return (
        f"\n…and {len(rest)} more links ({parts}); see the full report: "
        "`listkeeper report --format json`.\n"
    )


# --- GitHub repositories ----------------------------------------------------------------

MAX_REPOS = 30  # repositories listed per section; the rest are counted
REPOS_SHARE = 4  # the repository sections take at most a quarter of the report


def repositories(report: Report, limit: int = MAX_CHARS // REPOS_SHARE) -> str:
    """ "Archived", "Renamed" and "Stale" sections for GitHub repositories, and a note when
    repository links were checked as pages for want of a token."""
    repos = [link for link in report.links if link.repository is not None]
    sections = [
        ("Archived repositories", [r for r in repos if r.repository and r.repository.archived]),
        ("Renamed repositories", [r for r in repos if r.repository and r.repository.renamed]),
        ("Stale repositories", [r for r in repos if r.repository and r.repository.stale]),
    ]
    out = []
    for title, group in sections:
        if not group:
            continue
        room = limit // len(sections) - 100
        items: list[str] = []
        for link in group[:MAX_REPOS]:
            item = _repo_item(link)
            if sum(map(len, items)) + len(item) > room:
                break
            items.append(item)
        more = len(group) - len(items)
        if more > 0:
            items.append(f"- …and {more} more\n")
        out.append(f"### {title} ({len(group)})\n\n" + "".join(items) + "\n")
    if report.repos_as_pages:
        out.append(
            f"_{report.repos_as_pages} GitHub repository links were checked as web pages: "
            "with a `GITHUB_TOKEN`, `listkeeper check` asks GitHub's API instead (100 "
            "repositories a query) and reports archived, renamed and stale ones._\n\n"
        )
    return "".join(out)


def _repo_item(link: ReportLink) -> str:
    facts = link.repository
    assert facts is not None
    parts = [f"- {_label(link)}"]
    if facts.renamed:
        parts.append(f" → {code(facts.name_with_owner)}")
    notes = facts.notes()
    where = _sources(link)
    return (
        "".join(parts)
        + (f" ({', '.join(notes)})" if notes else "")
        + (f" — {where}" if where else "")
        + "\n"
    )
