"""Page-metadata benchmark: precision and recall per field against the human annotation.

    .venv/bin/python bench/metadata.py [--corpus DIR] [--only listkeeper] [--misses FIELD]

Corpus: ../shared/corpora/html_metadata (manifest.json; pages/trafilatura/*.html). Truth:
``ground_truth`` (the trafilatura project's manual annotation) for title, author, date,
description and site name; for date, pages without that key use ``htmldate_ground_truth``
(the htmldate project's manual annotation); canonical and feed links against ``derived``
(what the page's own ``<link rel=canonical>`` / ``<link rel=alternate type=rss|atom>``
say, resolved against the page's base URL: its ``<base href>``, else its URL; the derived
feed links are RSS and Atom only, so the JSON Feeds a page declares are left out of what
listkeeper found before scoring). A key set to null means "absent": any value found is
a false positive. A missing key means "not annotated": the page is skipped for that field.

Match rules. Text fields (title, description, site name): equal after Unicode NFKC,
typographic quotes folded to ASCII ones, casefolding, collapsing whitespace and stripping
punctuation at both ends. Authors: the same set of
names, each normalised as text and split on ``;``, ``,``, ``&``, ``|``, `` and ``/`` und ``
on both sides. Date: the same calendar day, the day of the page's own offset (extraction
keeps the offset a page writes until the day is taken). Canonical: equal URLs. Feeds: per link (set
intersection), so precision = found links that are right / found links.

Halves: the annotated pages are split into two fixed halves by site (the registrable
domain of the page's host, by the parity of the first byte of its SHA-256), so no site is
in both; a date rule is written against one half and kept only if the other agrees.
Every table is printed for each half. "Accuracy" (dates) counts every annotated page: on a
page annotated without a date, nothing returned is right and any date is wrong.

Date ablation: each rule of ``catalog.metadata.published`` is switched off in turn; for
each half, the pages it fixes (right with it, wrong without) and breaks (the other way
round), paired, not a score difference. The same switch on the pages nobody annotated
(the HTML bodies under ../shared/corpora/responses and
html_metadata/structured_metadata_extruct) counts the answers the rule changes there.

Scalar fields: TP = right value found; a wrong value counts as FP and FN; nothing found
where a value exists is FN; a value found where the annotation says absent is FP.

Timing: wall time of ``extract`` per page (bytes in, PageMeta out: decoding, parsing,
all fields), mean and p95 over the corpus, and the median of 20 runs on a 1 MB page (the
corpus's largest page padded to 1 MiB with copies of its own paragraphs). Figures only,
never pass/fail.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "html_metadata"
FIELDS = ("title", "author", "date", "description", "sitename", "canonical", "feeds")
TARGETS = {"title": 0.93, "date": 0.90, "author": 0.80, "canonical": 0.98, "feeds": 0.98}

_SPACE = re.compile(r"\s+")
_EDGE = re.compile(r"^[\W_]+|[\W_]+$")
_AUTHOR_SPLIT = re.compile(r"\s*(?:[;,&|]|\band\b|\bund\b)\s*", re.I)

Prediction = dict[str, Any]  # field -> str | list[str] | date | datetime | None


@dataclass
class Case:
    path: Path
    url: str
    truth: dict[str, Any]  # annotated fields only; None = annotated as absent
    # Feed links of a type the derived truth does not list (JSON Feeds): left out of scoring.
    unscored_feeds: set[str] = field(default_factory=set)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


def norm_text(value: str) -> str:
    value = unicodedata.normalize("NFKC", value).translate(_QUOTES)
    return _EDGE.sub("", _SPACE.sub(" ", value.casefold()).strip())


def author_set(value: str | list[str]) -> frozenset[str]:
    items = value if isinstance(value, list) else [value]
    names = {norm_text(p) for item in items for p in _AUTHOR_SPLIT.split(item)}
    names.discard("")
    return frozenset(names)


def date_matches(pred: date | datetime, truth: date) -> bool:
    return (pred.date() if isinstance(pred, datetime) else pred) == truth


_SITES: Any = None


def site_of(url: str) -> str:
    """The registrable domain of the URL's host (``www.bbc.co.uk`` -> ``bbc.co.uk``)."""
    global _SITES
    if _SITES is None:
        import tldextract

        _SITES = tldextract.TLDExtract(suffix_list_urls=())  # the bundled list: offline
    host = (urlsplit(url).hostname or "").lower()
    return _SITES(host).top_domain_under_public_suffix or host


def half_of(url: str) -> str:
    """ "A" or "B": a fixed half by site, so that no site is in both."""
    return "AB"[hashlib.sha256(site_of(url).encode()).digest()[0] % 2]


def load_cases(corpus: Path = DEFAULT_CORPUS) -> list[Case]:
    cases = []
    for entry in json.loads((corpus / "manifest.json").read_text(encoding="utf-8")):
        url = entry["url"]
        gt = entry.get("ground_truth") or {}
        truth: dict[str, Any] = {}
        for key in ("title", "author", "description", "sitename"):
            if key in gt:
                truth[key] = gt[key] or None
        if "date" in gt:
            truth["date"] = date.fromisoformat(gt["date"]) if gt["date"] else None
        elif "htmldate_ground_truth" in entry:
            raw = entry["htmldate_ground_truth"].get("date")
            truth["date"] = date.fromisoformat(raw) if raw else None
        derived = entry.get("derived") or {}
        base, json_feeds = _declared(corpus / entry["path"], url)
        if "canonical_link" in derived:
            link = derived["canonical_link"]
            truth["canonical"] = urljoin(base, link.strip()) if link else None
        if "feed_links" in derived:
            truth["feeds"] = [urljoin(base, f["href"].strip()) for f in derived["feed_links"]]
        cases.append(Case(corpus / entry["path"], url, truth, json_feeds))
    return cases


def _declared(path: Path, url: str) -> tuple[str, set[str]]:
    """The page's base URL (its ``<base href>`` resolved against its URL, as a browser
    resolves its relative links) and the JSON Feed links it declares (the derived feed
    links list only RSS and Atom types)."""
    from lxml import html as lxml_html

    root = lxml_html.fromstring(path.read_bytes())
    base = url
    for href in root.xpath("//head/base/@href")[:1]:
        base = urljoin(url, str(href).strip())
    json_feeds = {
        urljoin(base, str(link.get("href", "")).strip())
        for link in root.xpath("//link[@href]")
        if "alternate" in (link.get("rel") or "").lower().split()
        and (link.get("type") or "").strip().lower()
        in {"application/json", "application/feed+json"}
    }
    return base, json_feeds


def score(cases: list[Case], predictions: list[Prediction]) -> dict[str, Score]:
    scores = {f: Score() for f in FIELDS}
    for case, pred in zip(cases, predictions, strict=True):
        for name in FIELDS:
            if name not in case.truth or name not in pred:
                continue
            truth, got, s = case.truth[name], pred[name], scores[name]
            label = case.path.name
            if name == "feeds":
                want, have = set(truth or []), set(got or []) - case.unscored_feeds
                s.tp += len(want & have)
                s.fp += len(have - want)
                s.fn += len(want - have)
                if want != have:
                    s.misses.append(f"{label}: want {sorted(want)} got {sorted(have)}")
                continue
            if not got:
                got = None
            if truth is None:
                if got is not None:
                    s.fp += 1
                    s.misses.append(f"{label}: want nothing, got {got!r}")
                continue
            if got is None:
                s.fn += 1
                s.misses.append(f"{label}: want {truth!r}, got nothing")
                continue
            if name == "author":
                ok = author_set(got) == author_set(truth)
            elif name == "date":
                ok = date_matches(got, truth)
            elif name == "canonical":
                ok = got == truth
            else:
                ok = norm_text(got) == norm_text(truth)
            if ok:
                s.tp += 1
            else:
                s.fp += 1
                s.fn += 1
                s.misses.append(f"{label}: want {truth!r}, got {got!r}")
    return scores


# --- systems --------------------------------------------------------------------------


def listkeeper(body: bytes, url: str) -> Prediction:
    from catalog.metadata import extract

    m = extract(body, url)
    return {
        "title": m.title,
        "author": m.authors,
        "date": m.published,
        "description": m.description,
        "sitename": m.site_name,
        "canonical": m.canonical,
        "feeds": m.feeds,
    }


def trafilatura_metadata(body: bytes, url: str) -> Prediction:
    from trafilatura.metadata import extract_metadata
    from trafilatura.utils import load_html

    tree = load_html(body)
    if tree is None:
        return {f: None for f in FIELDS if f != "feeds"}
    doc = extract_metadata(tree, default_url=url)
    return {
        "title": doc.title,
        "author": doc.author,
        "date": date.fromisoformat(doc.date) if doc.date else None,
        "description": doc.description,
        "sitename": doc.sitename,
        "canonical": doc.url if doc.url and doc.url != url else None,
    }


def _htmldate(extensive: bool) -> Callable[[bytes, str], Prediction]:
    def run(body: bytes, url: str) -> Prediction:
        from htmldate import find_date

        found = find_date(body, url=url, original_date=True, extensive_search=extensive)
        return {"date": date.fromisoformat(found) if found else None}

    return run


def available_systems() -> dict[str, Callable[[bytes, str], Prediction]]:
    systems: dict[str, Callable[[bytes, str], Prediction]] = {"listkeeper": listkeeper}
    try:
        import lxml_html_clean  # noqa: F401  # trafilatura's cleaner, out of lxml 6
        import trafilatura  # noqa: F401

        systems["trafilatura.metadata"] = trafilatura_metadata
    except ImportError:
        pass
    try:
        import htmldate  # noqa: F401

        systems["htmldate"] = _htmldate(True)  # its defaults: the extensive search
    except ImportError:
        pass
    return systems


def run_system(
    system: Callable[[bytes, str], Prediction], cases: list[Case]
) -> tuple[list[Prediction], list[float]]:
    predictions, times = [], []
    system(cases[0].path.read_bytes(), cases[0].url)  # warm-up: imports and caches untimed
    for case in cases:
        body = case.path.read_bytes()
        start = time.perf_counter()
        predictions.append(system(body, case.url))
        times.append(time.perf_counter() - start)
    return predictions, times


def one_megabyte_page(cases: list[Case]) -> tuple[bytes, str]:
    largest = max(cases, key=lambda c: c.path.stat().st_size)
    body = largest.path.read_bytes()
    paragraphs = [p for p in re.findall(rb"<p\b[^>]*>.*?</p>", body, re.S) if len(p) < 2000]
    paragraphs = paragraphs[:50] or [b"<p>filler text</p>"]
    filler = b"\n".join(paragraphs)
    cut = body.rfind(b"</body>")
    cut = cut if cut >= 0 else len(body)
    padding = b""
    while len(body) + len(padding) < 1 << 20:
        padding += filler
    padding = padding[: (1 << 20) - len(body)]
    padding = padding[: padding.rfind(b"</p>") + 4]
    return body[:cut] + padding + body[cut:], largest.url


HOSTILE_BYTES = 512 * 1024  # the crawl's body cap (BODYCAP_BYTES): no page read is larger


def hostile_pages() -> dict[str, tuple[bytes, str]]:
    """Shapes that once cost seconds (or minutes) a page, each filled to the body cap: the
    crawl extracts metadata in Scrapy's reactor thread, so one slow page stalls them all."""

    def fill(head: str, unit: str, tail: str) -> bytes:
        n = max(1, (HOSTILE_BYTES - len(head) - len(tail)) // len(unit))
        return (head + unit * n + tail).encode()

    url, dated = "https://hostile.example/a/post", "https://hostile.example/2019/05/post"
    body = ("<body>", "</body>")
    return {
        "one <title> of parts (W - W - ...)": (fill("<title>", "W - ", "</title>"), url),
        "the year written on every line, month URL": (
            fill("<body><h1>T</h1><p>", "2019 05 12.05.19 ", "</p></body>"),
            dated,
        ),
        "thousands of <h1> and <h2>": (fill(body[0], "<h1>A head</h1><h2>Sub</h2>", ""), url),
        "a signature in every paragraph": (fill(body[0], "<p><b>Ada Roe</b></p>", ""), url),
        "copyright lines": (fill(body[0], "<span>© 2012 Jane Roe</span>", ""), url),
        "dated comments": (fill("<body><h1>T</h1>", "<p class='comment'>3.3.2020</p>", ""), dated),
        "nested byline boxes": (fill(body[0], "<div class='author'>", "By Ada Roe</body>"), url),
    }


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def date_right(case: Case, pred: Prediction) -> bool:
    """Whether the date is right, counting pages annotated without one (nothing is right)."""
    truth, got = case.truth["date"], pred.get("date")
    if truth is None or not got:
        return truth is None and not got
    return date_matches(got, truth)


def accuracy(cases: list[Case], predictions: list[Prediction]) -> tuple[int, int]:
    """(right, annotated) dates over the pages with a date annotation."""
    pairs = [(c, p) for c, p in zip(cases, predictions, strict=True) if "date" in c.truth]
    return sum(date_right(c, p) for c, p in pairs), len(pairs)


def unannotated_pages(shared: Path) -> list[tuple[bytes, str]]:
    """HTML bodies nobody annotated: the recorded responses and the extruct test pages."""
    pages: list[tuple[bytes, str]] = []
    index = shared / "responses" / "index.json"
    if index.is_file():
        for record in json.loads(index.read_text(encoding="utf-8"))["records"]:
            path = shared / "responses" / record.get("file", "")
            if path.suffix == ".html" and path.is_file():
                url = (record.get("request") or {}).get("url") or "https://page.example/"
                pages.append((path.read_bytes(), url))
    for path in sorted((shared / "html_metadata" / "structured_metadata_extruct").glob("*.html")):
        pages.append((path.read_bytes(), "https://page.example/" + path.stem))
    return pages


def _dates(pages: list[tuple[bytes, str]]) -> list[date | None]:
    from catalog.metadata import extract

    out = []
    for body, url in pages:
        value = extract(body, url).published
        out.append(value.date() if value else None)
    return out


def ablation(cases: list[Case], unannotated: list[tuple[bytes, str]]) -> list[str]:
    """Each date rule off in turn: pages fixed and broken per half, answers changed on the
    pages nobody annotated."""
    from catalog.metadata import published

    dated = [c for c in cases if "date" in c.truth]
    pages = [(c.path.read_bytes(), c.url) for c in dated]
    halves = [half_of(c.url) for c in dated]

    def right() -> list[bool]:
        return [date_right(c, {"date": d}) for c, d in zip(dated, _dates(pages), strict=True)]

    base, base_free = right(), _dates(unannotated)
    lines = [
        "| rule | A fixes | A breaks | B fixes | B breaks | unannotated changed |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for rule in published.RULES:
        published.DISABLED.add(rule)
        try:
            off, off_free = right(), _dates(unannotated)
        finally:
            published.DISABLED.discard(rule)
        cells = []
        for half in "AB":
            pairs = [(b, o) for b, o, h in zip(base, off, halves, strict=True) if h == half]
            cells += [
                str(sum(b and not o for b, o in pairs)),
                str(sum(o and not b for b, o in pairs)),
            ]
        changed = sum(a != b for a, b in zip(base_free, off_free, strict=True))
        lines.append(f"| {rule} | {' | '.join(cells)} | {changed}/{len(unannotated)} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", help="run one system (e.g. listkeeper)")
    parser.add_argument("--misses", help="print the listkeeper misses of this field")
    parser.add_argument("--no-ablation", action="store_true", help="skip the date ablation")
    args = parser.parse_args(argv)
    if not (args.corpus / "manifest.json").is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 3
    cases = load_cases(args.corpus)
    systems = available_systems()
    if args.only:
        systems = {args.only: systems[args.only]}
    print(f"corpus: {args.corpus} ({len(cases)} pages)\n")
    header = f"| field | target | {' | '.join(systems)} |"
    timing: list[str] = []
    runs: dict[str, list[Prediction]] = {}
    results: dict[str, dict[str, Score]] = {}
    for name, system in systems.items():
        runs[name], times = run_system(system, cases)
        results[name] = score(cases, runs[name])
        timing.append(f"| {name} | {1000 * statistics.mean(times):.1f} | {1000 * p95(times):.1f} |")
    for half in "AB":
        index = [i for i, c in enumerate(cases) if half_of(c.url) == half]
        part = [cases[i] for i in index]
        sites = len({site_of(c.url) for c in part})
        print(f"Half {half}: {len(part)} pages, {sites} sites; precision (P) and recall (R)\n")
        print(header)
        print("|" + " --- |" * (len(systems) + 2))
        scored = {n: score(part, [runs[n][i] for i in index]) for n in systems}
        for f in FIELDS:
            target = f">= {TARGETS[f]:.2f}" if f in TARGETS else ""
            cells = []
            for n in systems:
                s = scored[n][f]
                cells.append(
                    "—" if s.tp + s.fp + s.fn == 0 else f"P {s.precision:.3f} R {s.recall:.3f}"
                )
            print(f"| {f} | {target} | {' | '.join(cells)} |")
        cells = []
        for n in systems:
            ok, total = accuracy(part, [runs[n][i] for i in index])
            cells.append(f"{ok}/{total} = {ok / total:.3f}" if total else "—")
        print(f"| date accuracy | >= {TARGETS['date']:.2f} | {' | '.join(cells)} |\n")
    print(
        "Extraction time per page, ms (all pages)\n\n| system | mean | p95 |\n| --- | --- | --- |"
    )
    print("\n".join(timing))
    if "listkeeper" in systems:
        from catalog.metadata import extract

        body, url = one_megabyte_page(cases)
        runs_1mb = []
        for _ in range(20):
            start = time.perf_counter()
            extract(body, url)
            runs_1mb.append(time.perf_counter() - start)
        print(
            f"\nlistkeeper on a {len(body) / (1 << 20):.2f} MiB page: "
            f"median {1000 * statistics.median(runs_1mb):.1f} ms, max {1000 * max(runs_1mb):.1f} ms"
        )
        print("\nlistkeeper on hostile pages of 512 KiB (the body cap), ms\n")
        print("| page | time |\n| --- | --- |")
        for label, (body, url) in hostile_pages().items():
            start = time.perf_counter()
            extract(body, url)
            print(f"| {label} | {1000 * (time.perf_counter() - start):.0f} |")
        if not args.no_ablation:
            unannotated = unannotated_pages(args.corpus.parent)
            print("\nDate rules switched off one at a time (pages fixed and broken, paired)\n")
            print("\n".join(ablation(cases, unannotated)))
    if args.misses and "listkeeper" in results:
        print(f"\nlistkeeper misses, {args.misses}:")
        for line in results["listkeeper"][args.misses].misses:
            print("  " + line[:300])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
