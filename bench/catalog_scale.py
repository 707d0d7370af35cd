"""Catalog operations at scale: due selection and rendering every list, time and peak memory.

    .venv/bin/python bench/catalog_scale.py [--lists 1000] [--links-per-list 1000]
        [--backend sqlite|postgresql|both] [--smoke] [--workdir DIR]

Builds a synthetic catalog of ``--lists`` documents with ``--links-per-list`` distinct links
each (1,000 × 1,000 = 1,000,000 links by default) with Core bulk inserts (not the importer):
documents, sections, entries (every fourth with a "Part 2" link), links, entry_links,
occurrences, and one check per checked link. A quarter of the links were never checked, a
quarter are past their time-to-live (both due), half are checked and not due. Each list's
README is written to disk too, consistent with the catalog (its SHA-256 is the document's,
so the import that ``listkeeper render`` starts with finds it unchanged, as after a render).

Each operation then runs in a child process of its own, so its peak RSS (``VmHWM``) is its
own and not the build's:

* ``due selection``: ``catalog.store.due_links`` iterated (streamed), counting rows;
* ``check selection``: what ``listkeeper check`` holds before a crawl: the per-host
  statuses (``host_answers``), the due links as the check takes them
  (``catalog.store.due_rounds``, ``[check] round_links`` at a time) and the crawler's feed
  built from their web links (``crawler.checkjob.crawl_links``/``crawl_settings``, and the JSON
  job file that ``jobs.crawling.run_crawl`` writes); nothing is recorded;
* ``crawl job load``: the crawl process reading the largest such job file
  (``crawler.crawl.main``);
* ``render every list``: per list, what ``listkeeper render`` does: import the README
  (unchanged), ``render_entries`` and ``render_document``.

PostgreSQL runs in a throwaway cluster (``jobs.offlineweb.testkit.throwaway.postgres``); its
server's memory is not counted. Timings are wall clock on whatever else the machine is
doing: figures, never pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
GROUP = "companies"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # the clock of the bench's catalog
FLUSH_ROWS = 20_000  # rows per table buffered before an INSERT batch
SMOKE = (5, 20)
OPERATIONS = ("due selection", "check selection", "crawl job load", "render every list")


# --- the synthetic catalog -------------------------------------------------------------


@dataclass
class Built:
    documents: int
    links: int  # web links, ``--links-per-list`` per list
    anchors: int  # and the A–Z index's links to headings
    entries: int
    due: int
    seconds: float


def _index_table(letters: list[str], columns: int = 9) -> list[str]:
    """The A–Z index as ``az_index.md.j2`` writes it, so the README is already rendered."""
    cells = []
    for letter in ("#", *LETTERS):
        anchor = f"{letter.lower()}-{GROUP}" if letter in letters else None
        cells.append(f" [{letter}](#{anchor})  |" if anchor else "   |")
    lines = ["|" + "     |" * columns, "|" + ":-:  |" * columns]
    lines += ["|" + "".join(cells[i : i + columns]) for i in range(0, len(cells), columns)]
    return lines


def _document(d: int, first_link: int, n_links: int) -> tuple[list[str], list[dict[str, Any]]]:
    """README lines of list ``d`` and its entries (1-based lines, links from ``first_link``).

    Entries come in runs of four: three with one link, one with a "Part 2" link, spread
    evenly over the 26 letter sections, titles sorted (the region sorts by title).
    """
    sizes: list[int] = []
    left = n_links
    while left:
        size = 2 if len(sizes) % 4 == 3 and left >= 2 else 1
        sizes.append(size)
        left -= size
    per_letter = -(-len(sizes) // len(LETTERS))
    groups = [sizes[i : i + per_letter] for i in range(0, len(sizes), per_letter)]
    letters = list(LETTERS[: len(groups)])
    lines = [f"# List {d}", "", "Every link of this list, by company.", ""]
    lines += ["<!-- listkeeper:begin companies-index -->", "", *_index_table(letters), ""]
    lines += ["<!-- listkeeper:end companies-index -->", "", "## Companies", ""]
    lines += ["<!-- listkeeper:begin companies -->", ""]
    entries: list[dict[str, Any]] = []
    link_id = first_link
    for g, (letter, group) in enumerate(zip(letters, groups, strict=True)):
        if g:
            lines.append("")
        lines += [f"#### {letter} {GROUP}", ""]
        for size in group:
            n = len(entries)
            title = f"{letter} article {n:06d} of list {d}"
            links = []
            for i in range(size):
                url = f"https://h{link_id % 997}.example.test/l{d}/e{n}" + (f"-{i}" if i else "")
                links.append((link_id, url, title if i == 0 else f"Part {i + 1}"))
                link_id += 1
            item = f"- [{title}]({links[0][1]})" + "".join(
                f", [{text}]({url})" for _, url, text in links[1:]
            )
            lines.append(item)
            entries.append({"title": title, "letter": letter, "line": len(lines), "links": links})
    lines += ["", "<!-- listkeeper:end companies -->", ""]
    return lines, entries


def build(url: str, readmes: Path, lists: int, per_list: int) -> Built:
    """Create the schema (migrations) and fill it with Core bulk inserts."""
    import hashlib

    from sqlalchemy import insert, text

    from catalog import db
    from catalog.importer import document_key
    from catalog.models import Base
    from catalog.vocabulary import EntryState, LinkKind, LinkStatus

    start = time.perf_counter()
    db.upgrade(url)
    engine = db.make_engine(url)
    names = ("documents", "sections", "links", "checks", "entries", "entry_links", "occurrences")
    tables = {name: Base.metadata.tables[name] for name in names}  # in foreign-key order
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    ids = {"sections": 0, "entries": 0, "occurrences": 0, "checks": 0, "anchors": 0}
    counts = {"entries": 0, "due": 0}
    readmes.mkdir(parents=True, exist_ok=True)
    with engine.begin() as conn:

        def flush(force: bool = False) -> None:
            if not force and max(len(r) for r in rows.values()) < FLUSH_ROWS:
                return
            for name, table in tables.items():
                if rows[name]:
                    conn.execute(insert(table), rows[name])
                    rows[name] = []

        for d in range(lists):
            doc_id = d + 1
            first = d * per_list + 1
            lines, entries = _document(d, first, per_list)
            body = "\n".join(lines)
            path = readmes / f"list-{d:05d}.md"
            path.write_text(body, encoding="utf-8")
            rows["documents"].append(
                {
                    "id": doc_id,
                    "path": document_key(path),
                    "title": f"List {d}",
                    "sha256": hashlib.sha256(body.encode()).hexdigest(),
                    "imported_at": NOW,
                    "created_at": NOW,
                }
            )
            headings = [(1, f"List {d}", f"list-{d}", 1), (2, "Companies", "companies", 0)]
            section_of: dict[str, int] = {}
            for no, line in enumerate(lines, 1):
                if line.startswith("#### "):
                    heading = line[5:]
                    headings.append((4, heading, heading.lower().replace(" ", "-"), no))
            for pos, (level, heading, anchor, line_no) in enumerate(headings):
                ids["sections"] += 1
                section_of[heading] = ids["sections"]
                if not line_no:
                    line_no = lines.index("## Companies") + 1
                path_ = " > ".join([f"List {d}", "Companies", heading][: level if level < 4 else 3])
                rows["sections"].append(
                    {
                        "id": ids["sections"],
                        "document_id": doc_id,
                        "heading": heading,
                        "path": path_,
                        "level": level,
                        "anchor": anchor,
                        "line": line_no,
                        "position": pos,
                        "present": True,
                    }
                )
            # The A–Z index links to the letter headings: anchor links, checked locally.
            for no, line in enumerate(lines, 1):
                if not line.startswith("|") or "](#" not in line:
                    continue
                for cell in line.split("|"):
                    if "](#" not in cell:
                        continue
                    letter, anchor = cell.strip()[1:-1].split("](")
                    ids["anchors"] += 1
                    link_id = lists * per_list + ids["anchors"]
                    rows["links"].append(
                        {
                            "id": link_id,
                            "key": f"{document_key(path)}{anchor}",
                            "url": anchor,
                            "kind": LinkKind.ANCHOR,
                            "host": None,
                            "status": LinkStatus.UNCHECKED,
                            # Every row names the same columns: one executemany for all.
                            **dict.fromkeys(("http_status", "etag", "checked_at")),
                            **dict.fromkeys(("next_check_at", "last_ok_at")),
                            "consecutive_failures": 0,
                            "created_at": NOW - timedelta(days=90),
                        }
                    )
                    counts["due"] += 1
                    ids["occurrences"] += 1
                    rows["occurrences"].append(
                        {
                            "id": ids["occurrences"],
                            "document_id": doc_id,
                            "link_id": link_id,
                            "section_id": section_of[f"List {d}"],
                            "entry_id": None,
                            "line": no,
                            "text": letter,
                            "written": anchor,
                            "syntax": "inline",
                        }
                    )
            for pos, entry in enumerate(entries):
                ids["entries"] += 1
                section_id = section_of[f"{entry['letter']} {GROUP}"]
                links = entry["links"]
                rows["entries"].append(
                    {
                        "id": ids["entries"],
                        "document_id": doc_id,
                        "section_id": section_id,
                        "key": links[0][1],
                        "title": entry["title"],
                        "description": None,
                        "position": pos,
                        "line": entry["line"],
                        "state": EntryState.LISTED,
                        "origin": "readme",
                        "added_at": NOW,
                        "updated_at": NOW,
                    }
                )
                for i, (link_id, link_url, link_text) in enumerate(links):
                    # A quarter never checked, a quarter past their TTL, half fresh.
                    phase = link_id % 4
                    checked = None if phase == 0 else NOW - timedelta(hours=30 if phase == 1 else 2)
                    counts["due"] += phase < 2
                    status = LinkStatus.UNCHECKED
                    if checked is not None:
                        status = LinkStatus.FAILING if link_id % 50 == 7 else LinkStatus.OK
                    rows["links"].append(
                        {
                            "id": link_id,
                            "key": link_url,
                            "url": link_url,
                            "kind": LinkKind.EXTERNAL,
                            "host": link_url.split("/")[2],
                            "status": status,
                            "http_status": None if checked is None else 200,
                            "etag": None if checked is None else f'"{link_id:x}"',
                            "checked_at": checked,
                            "next_check_at": None
                            if checked is None
                            else checked + timedelta(hours=20),
                            "last_ok_at": checked,
                            "consecutive_failures": 0,
                            "created_at": NOW - timedelta(days=90),
                        }
                    )
                    if checked is not None:
                        ids["checks"] += 1
                        rows["checks"].append(
                            {
                                "id": ids["checks"],
                                "link_id": link_id,
                                "checked_at": checked,
                                "method": "HEAD",
                                "http_status": 200,
                                "outcome": "ok",
                                "elapsed_ms": 120,
                            }
                        )
                    rows["entry_links"].append(
                        {
                            "entry_id": ids["entries"],
                            "position": i,
                            "link_id": link_id,
                            "role": "primary" if i == 0 else link_text.lower(),
                            "text": link_text,
                            "url": link_url,
                        }
                    )
                    ids["occurrences"] += 1
                    rows["occurrences"].append(
                        {
                            "id": ids["occurrences"],
                            "document_id": doc_id,
                            "link_id": link_id,
                            "section_id": section_id,
                            "entry_id": ids["entries"],
                            "line": entry["line"],
                            "text": link_text,
                            "written": link_url,
                            "syntax": "inline",
                        }
                    )
            counts["entries"] += len(entries)
            flush()
        flush(force=True)
        if engine.dialect.name == "postgresql":  # ids were given: move the sequences on
            for name in ("documents", "sections", "links", "checks", "entries", "occurrences"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {name}))"
                    )
                )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    seconds = time.perf_counter() - start
    return Built(lists, lists * per_list, ids["anchors"], counts["entries"], counts["due"], seconds)


def catalog_bytes(url: str) -> int:
    from sqlalchemy import text

    from catalog import db

    engine = db.make_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                return int(conn.scalar(text("SELECT pg_database_size(current_database())")) or 0)
        path = Path(engine.url.database or "")
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    finally:
        engine.dispose()


# --- the measured operations, each in a child process ----------------------------------


def _peak_kib() -> tuple[int, int]:
    """(VmHWM, VmRSS) of this process, KiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    return int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])


def _render_config() -> Any:
    from catalog.config import Config, Region

    return Config(
        regions=(
            Region(name=f"{GROUP}-index", kind="az-index", group=GROUP),
            Region(name=GROUP, kind="letter-groups", group=GROUP, heading_level=4),
        )
    )


def child(operation: str, url: str, readmes: Path, jobfile: Path) -> dict[str, Any]:
    """Run one operation in this (child) process; figures as a dict."""
    from catalog import db

    os.environ["LISTKEEPER_NOW"] = NOW.isoformat()
    engine = db.make_engine(url)
    factory = db.session_factory(engine)
    rows = 0
    extra: dict[str, Any] = {}
    # Imports and the first connection are the baseline, not the operation.
    if operation == "due selection":
        from catalog.store import due_links

        with factory() as s:
            s.connection()
            base = _peak_kib()[1]
            start = time.perf_counter()
            for _ in due_links(s):
                rows += 1
    elif operation == "check selection":
        from catalog import local
        from catalog.checkconfig import CheckConfig
        from catalog.store import due_rounds, host_answers
        from crawler import checkjob
        from jobs import check
        from jobs.context import Context

        ctx = Context(db_url=url, _config=_render_config())
        cfg, options = CheckConfig(), check.CheckOptions()
        with factory() as s:
            s.connection()
        base = _peak_kib()[1]
        start = time.perf_counter()
        with factory() as s:
            host_statuses = host_answers(s)
        # The due links as the check takes them, rounds of ``round_links``, each round's
        # web links turned into the crawler's feed; nothing is recorded.
        biggest = 0
        for due in due_rounds(factory, cfg.table.round_links):
            rows += len(due)
            web = [link for link in due if link.kind in local.WEB_KINDS]  # local: decided
            links = checkjob.crawl_links(cfg, web)
            settings = checkjob.crawl_settings(
                ctx.url, ctx.config.verdicts, cfg, options, host_statuses, 0
            )
            if len(links) >= biggest:  # the crawl job load below reads the largest
                biggest = len(links)
                job = {"spider": "links", "arguments": {"links": links}, "settings": settings}
                with jobfile.open("w") as fh:  # as jobs.crawling.run_crawl
                    json.dump(job, fh)
            del links, web, due
        extra.update(round_links=cfg.table.round_links, largest_feed=biggest)
    elif operation == "crawl job load":
        base = _peak_kib()[1]
        start = time.perf_counter()
        job = json.loads(jobfile.read_text(encoding="utf-8"))  # as crawler.crawl.main
        rows = len(job["arguments"]["links"])
    elif operation == "render every list":
        from catalog.importer import import_readme, read_readme
        from catalog.queries import document_by_path, render_entries
        from catalog.render import environment, render_document

        config = _render_config()
        env = environment()
        paths = sorted(readmes.glob("list-*.md"))
        with factory() as s:
            s.connection()
        base = _peak_kib()[1]
        start = time.perf_counter()
        unchanged = entries = 0
        split = [0.0, 0.0, 0.0]  # import, render_entries, render_document
        for path in paths:
            # As jobs.readme.render: import (unchanged here), then render from the catalog.
            with factory() as s:
                t0 = time.perf_counter()
                text = read_readme(path)
                result = import_readme(s, path)
                t1 = time.perf_counter()
                doc = document_by_path(s, result.path)
                found = render_entries(s, doc.id) if doc else []
                t2 = time.perf_counter()
                new = render_document(text, config, found, where=str(path), env=env)
                t3 = time.perf_counter()
                split = [split[0] + t1 - t0, split[1] + t2 - t1, split[2] + t3 - t2]
                s.rollback()
            rows += 1
            entries += len(found)
            unchanged += new == text
        extra.update(entries=entries, unchanged=unchanged, split=split)
    else:
        raise SystemExit(f"unknown operation {operation!r}")
    seconds = time.perf_counter() - start
    engine.dispose()
    peak = _peak_kib()[0]
    return {
        "operation": operation,
        "rows": rows,
        "seconds": seconds,
        "peak_kib": peak,
        "base_kib": base,
        **extra,
    }


def measure(operation: str, url: str, readmes: Path, jobfile: Path) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            operation,
            "--url",
            url,
            "--readmes",
            str(readmes),
            "--jobfile",
            str(jobfile),
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{operation} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --- the run ------------------------------------------------------------------------------


@contextmanager
def backend_url(backend: str, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'catalog.db'}"
        return
    from jobs.offlineweb.testkit.throwaway import postgres

    with postgres() as url:
        yield url


def mib(kib: float) -> str:
    return f"{kib / 1024:.0f}"


def run_backend(backend: str, lists: int, per_list: int, workdir: Path) -> list[list[str]]:
    workdir.mkdir(parents=True, exist_ok=True)
    readmes, jobfile = workdir / "readmes", workdir / "crawl-job.json"
    table: list[list[str]] = []
    with backend_url(backend, workdir) as url:
        built = build(url, readmes, lists, per_list)
        size = catalog_bytes(url)
        table.append(
            [
                backend,
                "build (Core bulk inserts)",
                f"{built.links}",
                f"{built.seconds:.1f}",
                "-",
                "-",
                f"{built.documents} lists, {built.entries} entries, "
                f"+{built.anchors} index anchor links",
            ]
        )
        table.append([backend, "catalog size", "-", "-", "-", "-", f"{size / 2**20:.1f} MiB"])
        for operation in OPERATIONS:
            r = measure(operation, url, readmes, jobfile)
            note = ""
            if operation == "due selection":
                note = f"expected {built.due}"
            elif operation == "render every list":
                imp, query, template = r["split"]
                note = (
                    f"{r['entries']} entries; {r['unchanged']} lists up to date; import "
                    f"{imp:.1f}s + render_entries {query:.1f}s + render_document {template:.1f}s"
                )
            table.append(
                [
                    backend,
                    operation,
                    str(r["rows"]),
                    f"{r['seconds']:.1f}",
                    mib(r["peak_kib"]),
                    mib(r["base_kib"]),
                    note,
                ]
            )
            print(f"  {backend}: {operation} done in {r['seconds']:.1f}s", file=sys.stderr)
    jobfile.unlink(missing_ok=True)
    return table


def print_table(rows: list[list[str]]) -> None:
    header = ["backend", "operation", "rows", "time s", "peak MiB", "base MiB", "notes"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {2, 3, 4, 5}
    for r in [header, ["-" * w for w in widths], *rows]:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=int, default=1000)
    parser.add_argument("--links-per-list", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE[0]} lists × {SMOKE[1]} links")
    parser.add_argument("--workdir", type=Path, help="keep the catalogs here (default: a temp dir)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--readmes", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--jobfile", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.url, args.readmes, args.jobfile)))
        return 0
    lists, per_list = SMOKE if args.smoke else (args.lists, args.links_per_list)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(
        f"catalog: {lists} lists × {per_list} links = {lists * per_list} links "
        f"(peak = VmHWM of a child process doing only that operation; "
        f"base = its RSS before it)"
    )
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="lk-scale-") as tmp:
        root = (args.workdir or Path(tmp)).resolve()
        for backend in backends:
            rows += run_backend(backend, lists, per_list, root / backend)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
