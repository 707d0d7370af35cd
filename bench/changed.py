"""False alarms of the parked and replaced rules on real pages. Figures only.

    .venv/bin/python bench/changed.py [--corpus DIR]

Corpus: ../shared/corpora/html_metadata (manifest.json: real article pages with their URL).
Each page is taken as a link's reference (its first good check) and compared with:

- itself, a trimmed copy (the second half of its paragraphs removed), a re-templated copy
  (its title, site name, language, canonical link and main text in another template, with
  other navigation and footer), a copy with three reader comments added, and a copy
  without its header, navigation, footer and asides (a moved ad, a redesign): none of these
  may be flagged (a flag is ``parked`` or ``replaced``);
- an unrelated page (the page half a half away in the fixed order, on another host, and its
  own site's name kept): every such pair should be ``replaced``.

The first check alone is also counted: a real article taken for a lander is a false alarm.
The pages are split into two fixed halves (even and odd positions in manifest order); the
rules' thresholds were set on our own fixtures (tests/landerpages.py) before this corpus
was run, and both halves are reported. CPU: process time of ``page_identity`` (parse, title,
site, language, canonical, main-text sketch) and of the judgement, per page.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from catalog.metadata.decode import decode_html  # noqa: E402
from catalog.metadata.identity import PageIdentity, page_identity  # noqa: E402
from pipelines.changed import MIN_SKETCH_WORDS, replaced  # noqa: E402
from pipelines.landers import lander  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "html_metadata"
COMMENTS = (
    "Thanks for writing this up, it helped me a lot with a problem I had last week at work.",
    "I disagree with the second point: in my experience the opposite is true, at least for "
    "small teams that ship every day and cannot afford a long review process.",
    "Is there a follow-up planned? I would love to read more about how this turned out.",
)


@dataclass
class Half:
    name: str
    pages: int = 0
    first_check: int = 0  # real pages taken for landers
    variants: Counter[str] = field(default_factory=Counter)  # compared
    flagged: Counter[str] = field(default_factory=Counter)  # false alarms, by variant
    pairs: int = 0
    pairs_flagged: int = 0
    missed: Counter[str] = field(default_factory=Counter)  # unrelated pairs not flagged, why
    examples: list[str] = field(default_factory=list)


def _tree(markup: str) -> lxml_html.HtmlElement:
    parser = lxml_html.HTMLParser(encoding="utf-8")
    return lxml_html.document_fromstring(markup.encode("utf-8", "replace"), parser=parser)


def _serialise(root: lxml_html.HtmlElement) -> str:
    return etree.tostring(root, encoding="unicode", method="html")


def trimmed(markup: str) -> str:
    """The page without the second half of its paragraphs."""
    root = _tree(markup)
    paragraphs = root.xpath("//p")
    for p in paragraphs[len(paragraphs) // 2 :]:
        p.drop_tree()
    return _serialise(root)


def with_comments(markup: str) -> str:
    root = _tree(markup)
    body = root.find("body")
    target = body if body is not None else root
    block = "".join(f'<div class="comment"><p>{html.escape(c)}</p></div>' for c in COMMENTS)
    target.append(lxml_html.fragment_fromstring(f'<section id="comments">{block}</section>'))
    return _serialise(root)


def without_chrome(markup: str) -> str:
    root = _tree(markup)
    etree.strip_elements(root, "header", "nav", "footer", "aside", with_tail=False)
    return _serialise(root)


def retemplated(markup: str, url: str) -> str:
    """Title, site name, language, canonical and main text in a template of our own."""
    root = _tree(markup)
    title = root.findtext(".//title") or ""
    head = [f"<title>{html.escape(title.strip())}</title>"]
    for meta in root.iter("meta"):
        if meta.get("property") in ("og:site_name", "og:title") or meta.get("name") in (
            "application-name",
        ):
            head.append(etree.tostring(meta, encoding="unicode", method="html"))
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            head.append(etree.tostring(link, encoding="unicode", method="html"))
    lang = root.get("lang") or ""
    from catalog.metadata import _main_text

    words = _main_text(root).split()
    paragraphs = "".join(
        f"<p>{html.escape(' '.join(words[i : i + 60]))}</p>" for i in range(0, len(words), 60)
    )
    return (
        f'<!doctype html><html lang="{html.escape(lang)}"><head>{"".join(head)}</head><body>'
        '<div class="topbar"><a href="/">Start</a> <a href="/tags">Tags</a> '
        '<a href="/feed">Feed</a></div>'
        f"<div class='post'><h1>{html.escape(title.strip())}</h1>{paragraphs}</div>"
        "<div class='bottom'>Powered by a new theme. Subscribe by e-mail.</div></body></html>"
    )


VARIANTS: dict[str, Callable[[str, str], str]] = {
    "itself": lambda markup, url: markup,
    "trimmed": lambda markup, url: trimmed(markup),
    "re-templated": retemplated,
    "comments added": lambda markup, url: with_comments(markup),
    "chrome removed": lambda markup, url: without_chrome(markup),
}


def _flag(ref: PageIdentity, page: PageIdentity, url: str) -> str | None:
    if found := lander(page, url, reference=ref):
        return f"parked: {found.reason}"
    if gone := replaced(ref, page):
        return f"replaced: {gone.reason}"
    return None


def _why_not(ref: PageIdentity, other: PageIdentity) -> str:
    if not ref.title or not other.title:
        return "a title missing"
    if ref.words < MIN_SKETCH_WORDS:
        return f"reference under {MIN_SKETCH_WORDS} words"
    return "titles share a word"


def run(corpus: Path) -> tuple[list[Half], float, float, int]:
    manifest = json.loads((corpus / "manifest.json").read_text())
    entries = sorted(manifest, key=lambda e: e["path"])
    halves = [Half("A (even)"), Half("B (odd)")]
    identity_cpu = judge_cpu = 0.0
    judged = 0
    for index, half in enumerate(halves):
        mine = entries[index::2]
        texts = [decode_html((corpus / e["path"]).read_bytes()) for e in mine]
        refs: list[PageIdentity] = []
        for entry, markup in zip(mine, texts, strict=True):
            url = entry["url"]
            start = time.process_time()
            ref = page_identity(markup, url)
            identity_cpu += time.process_time() - start
            refs.append(ref)
            half.pages += 1
            if found := lander(ref, url):
                half.first_check += 1
                half.examples.append(f"first check {entry['path']}: {found.reason}")
            for name, make in VARIANTS.items():
                variant = page_identity(make(markup, url), url)
                start = time.process_time()
                flag = _flag(ref, variant, url)
                judge_cpu += time.process_time() - start
                judged += 1
                half.variants[name] += 1
                if flag:
                    half.flagged[name] += 1
                    half.examples.append(f"{name} {entry['path']}: {flag}")
        n = len(mine)
        for i, entry in enumerate(mine):
            host = urlsplit(entry["url"]).hostname
            for step in range(n // 2, n // 2 + n):
                j = (i + step) % n
                if j != i and urlsplit(mine[j]["url"]).hostname != host:
                    break
            half.pairs += 1
            if _flag(refs[i], refs[j], entry["url"]):
                half.pairs_flagged += 1
            else:
                half.missed[_why_not(refs[i], refs[j])] += 1
    pages = sum(h.pages for h in halves)
    return halves, identity_cpu * 1000 / pages, judge_cpu * 1000 / max(judged, 1), pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--examples", action="store_true", help="print every flag")
    args = parser.parse_args(argv)
    if not (args.corpus / "manifest.json").exists():
        print(f"bench/changed.py: no manifest.json in {args.corpus}", file=sys.stderr)
        return 3
    halves, identity_ms, judge_ms, pages = run(args.corpus)
    names = list(VARIANTS)
    print(f"{pages} real pages, two fixed halves; false alarms (parked or replaced):")
    print("| half | pages | first check | " + " | ".join(names) + " | unrelated pairs flagged |")
    print("| --- | ---: | ---: | " + " | ".join("---:" for _ in names) + " | ---: |")
    for h in halves:
        cells = " | ".join(f"{h.flagged[n]}/{h.variants[n]}" for n in names)
        missed = ", ".join(f"{k} {v}" for k, v in h.missed.most_common())
        print(
            f"| {h.name} | {h.pages} | {h.first_check}/{h.pages} | {cells} | "
            f"{h.pairs_flagged}/{h.pairs}{' (not: ' + missed + ')' if missed else ''} |"
        )
    print(f"CPU per page: identity {identity_ms:.1f} ms, judgement {judge_ms:.2f} ms")
    if args.examples:
        for h in halves:
            for line in h.examples:
                print(f"  {h.name}: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
