"""Is the page still what was listed? Landers on any check, and replacement against the
reference a link's first good check took.

``replaced`` is deliberately narrow: a page is another page only when

- its site name, language and canonical host all changed (each known on both sides), or
- its title shares no word with the reference's (site names left out) *and* its main text
  shares next to nothing with the reference's main text.

A redesign keeps the text, an edited title keeps the text, a new comment or a moved ad
keeps both: none of them counts.

``ChangedPipeline`` runs after ``pipelines.classify``: on a check that read the page and
was classified ``ok`` or ``redirect``, it reads the page's identity, and turns the outcome
into ``parked`` or ``replaced`` when the page is a lander or another page. The identity of
a good page goes with the item, so that the store can take the first one as the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from catalog.metadata.identity import (
    MIN_TEXT_WORDS,
    PageIdentity,
    containment,
    page_identity,
    title_words,
    tokens,
)
from catalog.vocabulary import OutcomeKind
from crawler.items import CheckItem
from pipelines.landers import lander

TEXT_UNRELATED = 0.1  # main-text containment below this: the texts share next to nothing
MIN_SKETCH_WORDS = MIN_TEXT_WORDS  # fewer words than this: too little text to compare


@dataclass(frozen=True)
class Replacement:
    reason: str


def _norm(value: str | None) -> str:
    return " ".join(tokens(value or ""))


def _lang(value: str | None) -> str:
    return (value or "").split("-")[0].strip().lower()


def _site_moved(ref: PageIdentity, page: PageIdentity) -> str | None:
    pairs = (
        ("site name", _norm(ref.site_name), _norm(page.site_name)),
        ("language", _lang(ref.lang), _lang(page.lang)),
        ("host", ref.host or "", page.host or ""),
    )
    if all(a and b and a != b for _, a, b in pairs):
        return (
            "site name, language and host all changed ("
            + "; ".join(f"{what} {a!r} → {b!r}" for what, a, b in pairs)
            + ")"
        )
    return None


def replaced(ref: PageIdentity, page: PageIdentity) -> Replacement | None:
    """Why ``page`` is not the page ``ref`` was, or None when it still is (edits included)."""
    if moved := _site_moved(ref, page):
        return Replacement(moved)
    if _norm(ref.title) == _norm(page.title):
        return None  # the same title: the same page, whatever its text became
    drop = (ref.site_name, page.site_name, ref.host, page.host)
    before, after = title_words(ref.title, *drop), title_words(page.title, *drop)
    if before & after:
        return None  # a word in common: an edited title, not another page
    # Titles apart, or one without a telling word ("Home", a title that is the site's
    # name): the text decides.
    if ref.words < MIN_SKETCH_WORDS:
        return None  # the reference had too little text to tell
    if page.words >= MIN_SKETCH_WORDS:
        shared = containment(ref.sketch, page.sketch)
        if shared >= TEXT_UNRELATED:
            return None
        how = f"main text shares {shared:.0%}"
    else:
        how = f"main text is down to {page.words} words from {ref.words}"
    return Replacement(
        f"title and text no longer resemble the reference ('{(ref.title or '')[:60]}' → "
        f"'{(page.title or '')[:60]}'; {how})"
    )


def reference_of(fields: dict[str, Any] | None) -> PageIdentity | None:
    """A stored reference (``PageReference`` columns, as the job hands them) as an identity."""
    if not fields:
        return None
    return PageIdentity(
        title=fields.get("title"),
        site_name=fields.get("site_name"),
        lang=fields.get("lang"),
        host=fields.get("host"),
        sketch=fields.get("sketch") or "",
        words=int(fields.get("words") or 0),
    )


def judge(
    item: CheckItem, page: PageIdentity, *, compare: bool = True
) -> tuple[OutcomeKind, str] | None:
    """The changed outcome of a check whose page reads as ``page``, or None; ``compare``
    False looks for landers only."""
    ref = reference_of(item.reference)
    url = item.effective_url
    if found := lander(page, url, reference=ref):
        return OutcomeKind.PARKED, found.reason
    if compare and ref is not None and (gone := replaced(ref, page)):
        return OutcomeKind.REPLACED, gone.reason
    return None


GOOD = frozenset({OutcomeKind.OK.value, OutcomeKind.REDIRECT.value})
# A parked domain answers every path with its lander, so its host's random-path probe
# matches and classify calls the page a soft 404 (or a redirect to the lander's root, a
# redirect to the home page): a lander is the more telling verdict, and it is confirmed
# over checks. Such a page is not compared with the reference: it is not the article.
LANDER_OVER = frozenset({OutcomeKind.SUSPECT.value})


class ChangedPipeline:
    """Item pipeline (after classify, before metadata): parked and replaced pages."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChangedPipeline:
        if not crawler.settings.getbool("CHANGED_ENABLED", True):
            raise NotConfigured("CHANGED_ENABLED is off")
        return cls()

    def process_item(self, item: CheckItem) -> CheckItem:
        page_html = item.page
        item.page = None  # read once, here
        if page_html is None or (item.outcome not in GOOD and item.outcome not in LANDER_OVER):
            return item
        good = item.outcome in GOOD
        page = page_identity(page_html, item.effective_url)
        verdict = judge(item, page, compare=good)
        if verdict is None:
            item.identity = page.fields() if good else None  # a good read may be the reference
            return item
        kind, reason = verdict
        item.outcome, item.reason, item.rewrite_to = kind.value, reason, None
        item.identity = page.fields()  # the "after" the reports show
        return item


__all__ = ["ChangedPipeline", "Replacement", "judge", "reference_of", "replaced"]
