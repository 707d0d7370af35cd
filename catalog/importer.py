"""README → catalog: sections, entries and every link, matched to what was there before.

Re-importing the same file changes nothing; an edited file adds, moves and marks removed.
Entries are matched by their primary link's key (then by section), so an entry that moves
keeps its history, and an entry that disappears is marked ``removed``, never deleted.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.expression import Executable

from catalog import hygiene
from catalog.errors import InputError
from catalog.models import Document, Entry, EntryLink, Link, Occurrence, Section
from catalog.parsed import Item, LinkRef, ParsedDocument, Problem
from catalog.readme_parser import MarkdownError, parse_markdown
from catalog.urls import classify, host_of, link_key
from catalog.vocabulary import EntryState, LinkKind, utcnow

BATCH = 500


@dataclass
class ImportResult:
    document_id: int
    path: str
    unchanged: bool = False
    sections: int = 0
    entries: int = 0
    links: int = 0  # occurrences, images excluded
    by_kind: dict[str, int] = field(default_factory=dict)
    added: int = 0
    updated: int = 0
    removed: int = 0
    problems: list[Problem] = field(default_factory=list)


def document_key(path: Path) -> str:
    """How a document is named in the catalog: relative to the working directory if inside."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def read_readme(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 (byte {exc.start}); save the file as UTF-8 and retry"
        ) from exc


def import_readme(session: Session, path: Path) -> ImportResult:
    """Parse ``path`` and bring the catalog in line with it, in the caller's transaction."""
    text = read_readme(path)
    try:
        parsed = parse_markdown(text, base_dir=path.parent)
    except MarkdownError as exc:
        raise InputError(f"{path}: {exc}") from exc
    return apply(session, document_key(path), text, parsed)


def apply(session: Session, doc_path: str, text: str, parsed: ParsedDocument) -> ImportResult:
    digest = hashlib.sha256(text.encode()).hexdigest()
    doc = session.scalar(select(Document).where(Document.path == doc_path))
    if doc is None:
        doc = Document(path=doc_path)
        session.add(doc)
        session.flush()
    result = _summary(doc.id, doc_path, parsed)
    result.problems = hygiene.problems(text, parsed)
    if doc.sha256 == digest:
        result.unchanged = True
        return result
    now = utcnow()
    doc.title = parsed.title
    doc.sha256 = digest
    doc.imported_at = now
    section_ids = _sync_sections(session, doc, parsed)
    link_ids = _upsert_links(session, doc_path, parsed.links)
    _sync_entries(session, doc, parsed.items, section_ids, link_ids, result, doc_path)
    _rebuild_occurrences(session, doc, parsed, section_ids, link_ids, doc_path)
    return result


def _summary(doc_id: int, doc_path: str, parsed: ParsedDocument) -> ImportResult:
    by_kind: dict[str, int] = defaultdict(int)
    for ref in parsed.links:
        by_kind["image" if ref.image else classify(ref.url).value] += 1
    return ImportResult(
        document_id=doc_id,
        path=doc_path,
        sections=len(parsed.headings),
        entries=len(parsed.items),
        links=sum(1 for ref in parsed.links if not ref.image),
        by_kind=dict(sorted(by_kind.items())),
        problems=list(parsed.problems),
    )


def _sync_sections(session: Session, doc: Document, parsed: ParsedDocument) -> list[int]:
    """Upsert sections by anchor; those gone are kept with ``present = False``."""
    existing = {
        s.anchor: s for s in session.scalars(select(Section).where(Section.document_id == doc.id))
    }
    for pos, h in enumerate(parsed.headings):
        sec = existing.get(h.anchor)
        if sec is None:
            sec = existing[h.anchor] = Section(document_id=doc.id, anchor=h.anchor)
            session.add(sec)
        sec.heading, sec.path, sec.level = h.text, " > ".join(h.path), h.level
        sec.line, sec.position, sec.present = h.line, pos, True
    current = {h.anchor for h in parsed.headings}
    for anchor, sec in existing.items():
        if anchor not in current:
            sec.present = False
    session.flush()
    return [existing[h.anchor].id for h in parsed.headings]


def _insert_ignore(session: Session) -> Executable:
    """``INSERT ... ON CONFLICT (key) DO NOTHING`` in the session's dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(Link).on_conflict_do_nothing(index_elements=["key"])
    if dialect == "sqlite":
        return sqlite.insert(Link).on_conflict_do_nothing(index_elements=["key"])
    raise InputError(f"unsupported database {dialect}: use SQLite or PostgreSQL")


def _upsert_links(session: Session, doc_path: str, refs: list[LinkRef]) -> dict[str, int]:
    """Insert the links not yet in the catalog; return key → id for every link of the file."""
    rows: dict[str, dict[str, object]] = {}
    for ref in refs:
        if ref.image:
            continue
        key = link_key(ref.url, doc_path)
        if key not in rows:
            kind = classify(ref.url)
            rows[key] = {
                "key": key,
                "url": ref.url,
                "kind": kind,
                "host": host_of(ref.url)
                if kind in (LinkKind.EXTERNAL, LinkKind.NO_SCHEME)
                else None,
                "created_at": utcnow(),
            }
    keys = list(rows)
    ids: dict[str, int] = {}
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        session.execute(_insert_ignore(session), [rows[k] for k in chunk])
        ids.update(session.execute(select(Link.key, Link.id).where(Link.key.in_(chunk))).all())
    return ids


def _role(index: int, ref: LinkRef) -> str:
    if index == 0:
        return "primary"
    text = ref.text.strip().lower()
    if text.startswith("part "):
        return text[:32]
    if "archive" in text or "web.archive.org" in ref.url:
        return "archive"
    return "related"


def _sync_entries(
    session: Session,
    doc: Document,
    items: list[Item],
    section_ids: list[int],
    link_ids: dict[str, int],
    result: ImportResult,
    doc_path: str,
) -> None:
    now = utcnow()
    pool: dict[str, list[Entry]] = defaultdict(list)
    for e in session.scalars(
        select(Entry)
        .where(Entry.document_id == doc.id)
        .order_by(Entry.id)
        .options(selectinload(Entry.links))  # compared below: one query, not one per entry
    ):
        pool[e.key].append(e)
    matched: set[int] = set()
    fresh: list[tuple[dict[str, Any], list[LinkRow]]] = []
    for pos, item in enumerate(items):
        keys = [link_key(ref.url, doc_path) for ref in item.links]
        key = keys[0]
        section_id = section_ids[item.heading] if item.heading is not None else None
        entry = _match(pool.get(key, []), section_id, matched)
        links = [
            (i, link_ids[k], _role(i, ref), ref.text, ref.url)
            for i, (k, ref) in enumerate(zip(keys, item.links, strict=True))
        ]
        if entry is None:
            # New entries are inserted in bulk below: a first import of a long list would
            # otherwise build hundreds of thousands of ORM objects.
            row = {
                "document_id": doc.id,
                "key": key,
                "title": item.title,
                "description": item.description or None,
                "section_id": section_id,
                "position": pos,
                "line": item.line,
                "state": EntryState.LISTED,
                "origin": "readme",
                "added_at": now,
                "updated_at": now,
            }
            fresh.append((row, links))
            result.added += 1
            continue
        old_links = [(el.position, el.link_id, el.role, el.text, el.url) for el in entry.links]
        changed = (
            entry.title != item.title
            or (entry.description or "") != item.description
            or entry.section_id != section_id
            or entry.state != EntryState.LISTED
            or old_links != links
        )
        if changed:
            result.updated += 1
        matched.add(entry.id)
        entry.position, entry.line = pos, item.line  # positions shift with any edit above
        if changed:
            entry.title = item.title
            entry.description = item.description or None
            entry.section_id = section_id
            entry.state = EntryState.LISTED
            entry.removed_at = None
            entry.updated_at = now
            entry.links = [
                EntryLink(position=i, link_id=lid, role=role, text=text, url=url)
                for i, lid, role, text, url in links
            ]
    session.flush()
    _insert_entries(session, fresh)
    for entries in pool.values():
        for e in entries:
            # Accepted candidates not yet rendered (no line) are not in the README yet.
            if e.id in matched or e.state != EntryState.LISTED or e.line is None:
                continue
            e.state, e.removed_at, e.updated_at = EntryState.REMOVED, now, now
            result.removed += 1


LinkRow = tuple[int, int, str, str, str]  # position, link id, role, text, url as written


def _insert_entries(session: Session, fresh: list[tuple[dict[str, Any], list[LinkRow]]]) -> None:
    for start in range(0, len(fresh), BATCH):
        chunk = fresh[start : start + BATCH]
        ids = session.scalars(
            insert(Entry).returning(Entry.id, sort_by_parameter_order=True),
            [row for row, _ in chunk],
        ).all()
        link_rows = [
            {"entry_id": entry_id, "position": i, "link_id": lid, "role": role, "text": t, "url": u}
            for entry_id, (_, links) in zip(ids, chunk, strict=True)
            for i, lid, role, t, u in links
        ]
        if link_rows:
            session.execute(insert(EntryLink), link_rows)


def _match(candidates: list[Entry], section_id: int | None, taken: set[int]) -> Entry | None:
    free = [e for e in candidates if e.id not in taken]
    for e in free:
        if e.section_id == section_id and e.state == EntryState.LISTED:
            return e
    for state in (EntryState.LISTED, EntryState.CANDIDATE, EntryState.REMOVED):
        for e in free:
            if e.state == state:
                return e
    return None


def _rebuild_occurrences(
    session: Session,
    doc: Document,
    parsed: ParsedDocument,
    section_ids: list[int],
    link_ids: dict[str, int],
    doc_path: str,
) -> None:
    """Occurrences are derived from the file: replaced wholesale at each import."""
    session.execute(delete(Occurrence).where(Occurrence.document_id == doc.id))
    entry_at_line = dict(
        session.execute(
            select(Entry.line, Entry.id).where(
                Entry.document_id == doc.id, Entry.state == EntryState.LISTED
            )
        ).all()
    )
    item_line_of: dict[int, int] = {}
    for item in parsed.items:
        for ref in item.links:
            item_line_of[id(ref)] = item.line
    rows = []
    for ref in parsed.links:
        if ref.image:
            continue
        item_line = item_line_of.get(id(ref))
        rows.append(
            {
                "document_id": doc.id,
                "link_id": link_ids[link_key(ref.url, doc_path)],
                "section_id": section_ids[ref.heading] if ref.heading is not None else None,
                "entry_id": entry_at_line.get(item_line) if item_line is not None else None,
                "line": ref.line,
                "text": ref.text,
                "written": ref.url,
                "syntax": ref.syntax,
            }
        )
    for start in range(0, len(rows), BATCH):
        session.execute(insert(Occurrence), rows[start : start + BATCH])
