"""Item pipeline: read a fetched page's metadata (title, authors, dates, canonical, feeds).

Runs on pages fetched with GET when their metadata is wanted (a link's first check); the
extraction is ``catalog.metadata.extract``, and the store writes it with the check.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from catalog.metadata import extract
from catalog.models import offset_minutes
from crawler.items import CheckItem


class MetadataPipeline:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MetadataPipeline:
        if not crawler.settings.getbool("METADATA_ENABLED", True):
            raise NotConfigured("METADATA_ENABLED is off")
        return cls()

    def process_item(self, item: CheckItem) -> CheckItem:
        if item.html is None:
            return item
        meta = extract(item.html, item.final_url or item.url)
        item.html = None  # the page is not kept beyond this point
        item.metadata = {
            "title": meta.title,
            "description": meta.description,
            "site_name": meta.site_name,
            "authors": meta.authors or None,
            "published": meta.published,
            "published_offset": offset_minutes(meta.published),  # the page's day, kept
            "modified": meta.modified,
            "lang": meta.lang,
            "canonical": meta.canonical,
            "image": meta.image,
            "feeds": meta.feeds or None,
            "word_count": meta.word_count,
            "reading_minutes": meta.reading_minutes,
            "fingerprint": item.body_fingerprint,
            "fetched_at": item.checked_at,
        }
        return item
