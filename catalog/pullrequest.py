"""The one pull request, as pure logic: settings, what may change, decisions, the body.

No git, no HTTP here (``jobs/pr.py`` and ``jobs/github.py`` do those): this module turns
the README text and what the catalog knows into the text to propose and the body to
show, so every rule can be tested on strings.

What may change (``[pr]`` in ``listkeeper.toml``):

- ``rewrite_redirects``: a link whose status is ``redirected`` (a permanent redirect to
  the same article; redirects to a login wall or another site's home page are classified
  ``suspect`` or ``blocked`` and never qualify) is rewritten to its final URL, where it is
  written as a link destination (``[t](url)``, ``<url>``, ``[ref]: url``, ``href="url"``).
  An ``https`` link is never rewritten to ``http``.
- ``dead``: ``keep`` (only reported), ``mark`` (a ``*(dead link)*`` note after the link) or
  ``archive`` (the URL becomes the Wayback Machine's capture nearest the day the link
  entered the list, as its CDX server at ``wayback_api`` lists it — ``jobs/wayback.py``
  asks, ``catalog.cdx`` chooses; without an archived copy the link is marked instead, and
  the body says so).
- ``archived``: a GitHub repository the API says is archived: ``keep`` (only reported),
  ``mark`` (the default: an ``*(archived)*`` note after the link) or ``remove`` (its list
  item's line goes; a link outside a list item is marked instead, and the body says so).
  A renamed repository is ``redirected`` and rewritten like any permanent redirect.
- a page that answers but is no longer what was listed (a link confirmed
  ``parked`` or ``replaced``) is treated as ``dead`` says, except that ``archive`` takes the
  capture nearest *before* the page changed (later captures are of the lander).
- ``add_candidates``: accepted candidates (entries discovery found and a maintainer
  accepted) are rendered into the managed regions; with ``false`` they wait.

Decisions remembered:

- ``<!-- listkeeper:ignore REASON until YYYY-MM-DD -->`` on a link's line, or on the
  line before it, keeps every link of that line as written until the date has passed
  (without ``until``: for good).
- A rewrite the bot proposed in a pull request that was then merged or closed while the
  base README still has the old URL was reverted or refused by a maintainer: it is not
  proposed again until the redirect's target changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from catalog.config import (
    ARCHIVED_POLICIES,
    DEAD_POLICIES,
    DEFAULT_API_URL,
    DEFAULT_AUTHOR,
    DEFAULT_BRANCH,
    DEFAULT_TITLE,
    DEFAULT_WAYBACK_API,
    ArchivedPolicy,
    DeadPolicy,
    PrSettings,
    parse,
)
from catalog.escape import angle_url, attribute_url, md_url
from catalog.formats import markdown
from catalog.lines import split_lines
from catalog.reports import Report

__all__ = [
    "ARCHIVED_POLICIES",
    "DEAD_POLICIES",
    "DEFAULT_API_URL",
    "DEFAULT_AUTHOR",
    "DEFAULT_BRANCH",
    "DEFAULT_TITLE",
    "DEFAULT_WAYBACK_API",
    "ArchivedPolicy",
    "DeadPolicy",
    "PrSettings",
]

DEAD_MARK = " *(dead link)*"
ARCHIVED_MARK = " *(archived)*"
BODY_LIMIT = 65_536  # GitHub refuses a longer pull-request body
MAX_LISTED = 60  # changes listed one by one in the body; the rest are counted


def settings(raw: Mapping[str, Any], where: str = "config") -> PrSettings:
    """``[pr]`` of a config's TOML, checked by the schema (catalog.config)."""
    tables = parse({"pr": raw.get("pr", {}), "github": raw.get("github", {})}, where).tables
    return tables.pr or PrSettings(api_url=tables.github.api_url)


def repo_from_url(url: str) -> str | None:
    """``owner/name`` of a GitHub-style remote URL (https, ssh or scp-like), else None."""
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        path = parts.path if parts.netloc else ""
    elif re.match(r"^[\w.-]+@[\w.-]+:", url):
        path = url.split(":", 1)[1]
    else:
        return None  # a local path: no repository name to guess
    m = re.fullmatch(r"/?([\w.-]+)/([\w.-]+?)(?:\.git)?/?", path)
    return f"{m[1]}/{m[2]}" if m else None


# --- ignore comments ------------------------------------------------------------------

_IGNORE = re.compile(
    r"<!--\s*listkeeper:ignore\b(?P<reason>.*?)(?:\buntil\s+(?P<until>\d{4}-\d{2}-\d{2}))?\s*-->"
)


@dataclass(frozen=True)
class Ignore:
    reason: str
    until: date | None  # None: for good
    line: int  # 1-based line of the comment

    def active(self, today: date) -> bool:
        return self.until is None or today <= self.until


def ignores(text: str, today: date) -> dict[int, Ignore]:
    """Lines (1-based) kept as written: the comment's own line, and the next one when the
    comment stands on a line of its own (a comment after a link covers that line only).

    An expired comment (its date passed) keeps nothing; a malformed date is no date.
    """
    covered: dict[int, Ignore] = {}
    for number, line in enumerate(split_lines(text), start=1):
        for m in _IGNORE.finditer(line):
            until = None
            if m["until"]:
                try:
                    until = date.fromisoformat(m["until"])
                except ValueError:
                    until = None
            found = Ignore(reason=m["reason"].strip(), until=until, line=number)
            if not found.active(today):
                continue
            covered.setdefault(number, found)
            if not _IGNORE.sub("", line).strip():  # a comment on a line of its own
                covered.setdefault(number + 1, found)
    return covered


# --- changes --------------------------------------------------------------------------

ChangeKind = Literal["rewrite", "mark", "archive", "mark-archived", "remove", "scheme", "mojibake"]
_MARKS = {"mark": DEAD_MARK, "mark-archived": ARCHIVED_MARK}
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s")


@dataclass(frozen=True)
class Change:
    """A change the bot may make to every place ``old`` is written as a link."""

    kind: ChangeKind
    old: str  # the URL as written in the README
    new: str = ""  # the URL written instead (rewrite, archive)
    lines: tuple[int, ...] = ()  # where the catalog saw it, for the body
    note: str = ""  # plain text shown after it in the body (escaped there)


@dataclass(frozen=True)
class Applied:
    change: Change
    line: int  # 1-based, in the proposed text


@dataclass(frozen=True)
class Skipped:
    change: Change
    why: str  # plain text (untrusted parts included): escaped when shown
    line: int | None = None


@dataclass
class Outcome:
    text: str
    applied: list[Applied] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def proposed(self, kind: ChangeKind) -> list[Change]:
        seen: dict[tuple[str, str], Change] = {}
        for a in self.applied:
            if a.change.kind == kind:
                seen.setdefault((a.change.old, a.change.new), a.change)
        return list(seen.values())


def rewrite_allowed(old: str, new: str) -> bool:
    """A final URL that may replace ``old``: http(s), different, never a downgrade."""
    a, b = urlsplit(old if "://" in old else "https://" + old), urlsplit(new)
    if b.scheme not in ("http", "https") or not b.netloc or new == old:
        return False
    return not (a.scheme == "https" and b.scheme == "http")


def archive_url(url: str, since: date) -> str:
    """The Wayback Machine's capture nearest *since*, unasked (it redirects to the closest
    one): what ``changes_from`` writes when no lookup is given."""
    return f"https://web.archive.org/web/{since:%Y%m%d}/{url}"


def _destination(old: str) -> re.Pattern[str]:
    # ``old`` where Markdown or HTML reads it as a link destination, and nowhere else.
    return re.compile(
        r"(?P<pre>\]\(<?|(?<![\w\]])<|^\s*\[[^\]]+\]:[ \t]+<?|href=[\"'])"
        + re.escape(old)
        + r"(?=[)\s>\"']|$)",
        re.MULTILINE,
    )


def _marked(old: str, mark: str = DEAD_MARK) -> re.Pattern[str]:
    # The whole inline link ``[text](old "title")`` (or ``<old>``), to put a note after it.
    return re.compile(
        r"(?:\]\(<?"
        + re.escape(old)
        + r">?(?:\s+\"[^\"]*\")?\)|(?<![\w\]])<"
        + re.escape(old)
        + ">)"
        r"(?!" + re.escape(mark) + ")"
    )


def _pattern(change: Change) -> re.Pattern[str]:
    if change.kind in _MARKS:
        return _marked(change.old, _MARKS[change.kind])
    return _destination(change.old)


def _appender(mark: str) -> Callable[[re.Match[str]], str]:
    return lambda m: m[0] + mark


def _replacer(new: str) -> Callable[[re.Match[str]], str]:
    """``new`` written the way the destination it replaces is written, encoded for it:
    a redirect target can neither end the link early nor add markup after it."""

    def replace(m: re.Match[str]) -> str:
        pre = m["pre"]
        if pre.endswith("<"):
            return pre + angle_url(new, autolink=pre == "<")
        if pre.startswith("href="):
            return pre + attribute_url(new, pre[-1])
        return pre + md_url(new)

    return replace


def apply_changes(
    text: str,
    changes: Iterable[Change],
    *,
    today: date,
    rejected: Iterable[tuple[str, str]] = (),
    managed: Collection[int] = (),
) -> Outcome:
    """*text* with the allowed changes made, line by line, and what was left and why.

    *managed*: the (1-based) lines inside managed regions. A dead-link note is not added
    there: the next render writes entries from the catalog and would drop it.
    """
    refused = set(rejected)
    todo: list[Change] = []
    out = Outcome(text=text)
    for change in changes:
        if change.kind == "rewrite" and (change.old, change.new) in refused:
            why = "a maintainer reverted or refused this rewrite before"
            out.skipped.append(Skipped(change, why))
        else:
            todo.append(change)
    kept = ignores(text, today)
    lines = split_lines(text)
    ignored_seen: set[tuple[str, int]] = set()
    for index, line in enumerate(lines):
        number = index + 1
        for change in todo:
            pattern = _pattern(change)
            if not pattern.search(line):
                continue
            if change.kind == "mark" and number in managed:
                why = "inside a managed region, where the next render would drop the note"
                out.skipped.append(Skipped(change, why, number))
                continue
            if number in kept:
                if (change.old, kept[number].line) not in ignored_seen:
                    ignored_seen.add((change.old, kept[number].line))
                    ign = kept[number]
                    until = f" until {ign.until.isoformat()}" if ign.until else ""
                    why = f"kept on purpose{until}" + (f": {ign.reason}" if ign.reason else "")
                    out.skipped.append(Skipped(change, why, number))
                continue
            if change.kind in _MARKS:
                line = pattern.sub(_appender(_MARKS[change.kind]), line)
            elif change.kind == "remove":
                if not _LIST_ITEM.match(line):
                    why = "not a list item: remove it by hand"
                    out.skipped.append(Skipped(change, why, number))
                    continue
                line = ""
                out.applied.append(Applied(change, number))
                break
            else:
                line = pattern.sub(_replacer(change.new), line)
            out.applied.append(Applied(change, number))
        lines[index] = line
    out.text = "".join(lines)
    return out


# --- reverted rewrites ----------------------------------------------------------------


def refused_rewrites(
    last: Mapping[str, Any] | None, *, open_pr: bool, base_text: str
) -> list[tuple[str, str]]:
    """The rewrites not to propose again, from the last ``pr`` run's stats.

    Carried forward: those refused before. Added: those the last run proposed in a pull
    request that is no longer open (merged or closed) while the base still has the old
    URL — a maintainer reverted them or closed the pull request over them.
    """
    if not last:
        return []
    refused = {(str(a), str(b)) for a, b in last.get("refused", [])}
    if last.get("pr") is not None and not open_pr:
        for old, new in last.get("proposed", []):
            if _destination(str(old)).search(base_text):
                refused.add((str(old), str(new)))
    return sorted(refused)


# --- the body -------------------------------------------------------------------------


def _change_line(change: Change, line: int | None) -> str:
    where = f"line {line}: " if line else ""
    if change.kind == "rewrite":
        return f"- {where}{markdown.code(change.old)} → {markdown.code(change.new)} (moved)"
    if change.kind == "archive":
        return f"- {where}{markdown.code(change.old)} → archived copy {markdown.code(change.new)}"
    if change.kind == "scheme":
        old, new = markdown.code(change.old), markdown.code(change.new)
        return f"- {where}{old} → {new} (no scheme: GitHub read it as a missing file)"
    if change.kind == "mojibake":
        old, new = markdown.code(change.old, 120), markdown.code(change.new, 120)
        return f"- {where}mojibake repaired: {old} → {new}"
    note = f" ({markdown.text(change.note)})" if change.note else ""
    if change.kind == "mark-archived":
        return f"- {where}{markdown.code(change.old)} marked as an archived repository{note}"
    if change.kind == "remove":
        return f"- {where}{markdown.code(change.old)} removed: an archived repository{note}"
    return f"- {where}{markdown.code(change.old)} marked as a dead link{note}"


def body(
    report: Report,
    outcome: Outcome,
    *,
    readme: str,
    limit: int = BODY_LIMIT - 1_000,
) -> str:
    """The pull request's body: what changed, what was not and why, then the report.

    Everything from the web or the README (URLs, reasons, titles) is escaped and its
    ``@mentions`` and ``fixes #N`` are defused: a body never pings or closes anything.
    """
    parts = [
        f"listkeeper re-rendered {markdown.text(readme)} from its catalog"
        f"{' and made the changes below' if outcome.applied else ''}. "
        "Merge it as is, or push your own commits to the base branch: "
        "listkeeper never force-pushes over commits that are not its own.\n\n"
    ]
    if outcome.applied:
        parts.append(f"### Changes ({len(outcome.applied)})\n\n")
        shown = [_change_line(a.change, a.line) for a in outcome.applied[:MAX_LISTED]]
        more = len(outcome.applied) - MAX_LISTED
        parts.append("\n".join(shown) + (f"\n- …and {more} more" if more > 0 else "") + "\n\n")
    if outcome.skipped:
        parts.append(f"### Not proposed ({len(outcome.skipped)})\n\n")
        rows = [
            _change_line(s.change, s.line) + f" — not changed: {markdown.text(s.why)}"
            for s in outcome.skipped[:MAX_LISTED]
        ]
        more = len(outcome.skipped) - MAX_LISTED
        parts.append("\n".join(rows) + (f"\n- …and {more} more" if more > 0 else "") + "\n\n")
    head = "".join(parts)
    room = max(limit - len(head), 2_000)
    return head + markdown.format_report(report, max_chars=min(room, markdown.MAX_CHARS))


NO_ARCHIVE_NOTE = "no archived copy found in the Wayback Machine"
# Rows of links whose page changed carry its kind as their status.
CHANGED_NOTES = {
    "parked": "the page is now a parked, for-sale or placeholder page",
    "replaced": "another page answers there now",
}

ArchiveLookup = Callable[[str, date], str | None]


def changes_from(
    rows: Sequence[tuple[str, int, str, str | None, date]],
    settings: PrSettings,
    *,
    archive: ArchiveLookup = archive_url,
    archive_before: ArchiveLookup | None = None,
) -> list[Change]:
    """Changes from ``(written, line, status, final_url, listed_since)`` rows of the catalog.

    *archive* gives the archived copy of a dead link listed since a day (``jobs/pr.py``
    asks the Wayback Machine); None: there is none, and the link is marked instead.
    A link whose page changed (status ``parked`` or ``replaced``, listed since the day it
    changed) is treated as dead, its copy taken by *archive_before* (the capture nearest
    before that day).
    """
    found: dict[tuple[str, str], list[int]] = {}
    kinds: dict[tuple[str, str], ChangeKind] = {}
    notes: dict[tuple[str, str], str] = {}
    looked_up: dict[tuple[str, date], str | None] = {}
    for written, line, status, final_url, since in rows:
        if status == "redirected" and settings.rewrite_redirects and final_url:
            if not rewrite_allowed(written, final_url):
                continue
            key = (written, final_url)
            kinds[key] = "rewrite"
        elif status in ("dead", *CHANGED_NOTES) and settings.dead == "mark":
            key = (written, "")
            kinds[key] = "mark"
            if status in CHANGED_NOTES:
                notes[key] = CHANGED_NOTES[status]
        elif status in ("dead", *CHANGED_NOTES) and settings.dead == "archive" and "://" in written:
            lookup = (archive_before or archive) if status in CHANGED_NOTES else archive
            if (written, since) not in looked_up:
                looked_up[(written, since)] = lookup(written, since)
            copy = looked_up[(written, since)]
            if copy is None:
                key = (written, "")
                kinds[key] = "mark"
                notes[key] = NO_ARCHIVE_NOTE
                if status in CHANGED_NOTES:
                    notes[key] = f"{CHANGED_NOTES[status]}; {NO_ARCHIVE_NOTE}"
            else:
                key = (written, copy)
                kinds[key] = "archive"
        else:
            continue
        found.setdefault(key, []).append(line)
    return [
        Change(
            kind=kinds[key],
            old=key[0],
            new=key[1],
            lines=tuple(sorted(set(lines))),
            note=notes.get(key, ""),
        )
        for key, lines in found.items()
    ]


def archived_changes(
    rows: Sequence[tuple[str, int, str | None]], settings: PrSettings
) -> list[Change]:
    """Changes for archived GitHub repositories, from ``(written, line, renamed_to)`` rows,
    as ``[pr] archived`` says (``keep``: none). A repository renamed too is marked (or
    removed) under whichever URL the line holds once the rewrites are made."""
    if settings.archived == "keep":
        return []
    kind: ChangeKind = "remove" if settings.archived == "remove" else "mark-archived"
    found: dict[str, list[int]] = {}
    for written, line, renamed_to in rows:
        for url in (written, renamed_to):
            if url:
                found.setdefault(url, []).append(line)
    return [
        Change(kind=kind, old=old, lines=tuple(sorted(set(lines)))) for old, lines in found.items()
    ]


# --- hygiene repairs ------------------------------------------------------------------


def repair_hygiene(
    outcome: Outcome, *, today: date, mojibake: bool, base_dir: Path | None = None
) -> Outcome:
    """*outcome* with the README's own slips repaired where that is safe.

    A link without a scheme whose path does not exist beside the README gets ``https://``
    (GitHub reads ``example.com/a`` as a missing file); with *mojibake*, mojibake outside
    code blocks and code spans is repaired (``McDonaldâ€™s`` → ``McDonald’s``). Lines kept
    with ``listkeeper:ignore`` stay as written.
    """
    from catalog.readme_parser import MarkdownError, fix_mojibake, parse_markdown
    from catalog.urls import resolve_relative

    try:
        parsed = parse_markdown(outcome.text, base_dir=base_dir)
    except MarkdownError:
        return outcome
    kept = ignores(outcome.text, today)
    lines = split_lines(outcome.text)
    for p in parsed.problems:
        index = p.line - 1
        if p.line in kept or index >= len(lines):
            continue
        line = lines[index]
        if p.code == "no-scheme":
            if base_dir is not None and (base_dir / resolve_relative(p.text)).exists():
                continue  # such a path exists: a file link after all
            fixed = _destination(p.text).sub(_replacer(p.fix), line)
            change = Change("scheme", p.text, p.fix, (p.line,))
        elif p.code == "mojibake" and mojibake and p.line not in parsed.code_lines:
            fixed = _outside_code(line, lambda part: fix_mojibake(part) or part)
            change = Change("mojibake", p.text, fixed.strip(), (p.line,))
        else:
            continue
        if fixed != line:
            lines[index] = fixed
            outcome.applied.append(Applied(change, p.line))
    outcome.text = "".join(lines)
    return outcome


_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")


def _outside_code(line: str, fix: Callable[[str], str]) -> str:
    """*line* with *fix* applied to the text outside its code spans."""
    out, start = [], 0
    for span in _CODE_SPAN.finditer(line):
        out += [fix(line[start : span.start()]), span.group()]
        start = span.end()
    return "".join([*out, fix(line[start:])])
