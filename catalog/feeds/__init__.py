"""Feeds: parse RSS/Atom/JSON Feed/sitemaps, OPML lists, feed autodiscovery, listing pages.

Pure functions over bytes and strings: no network, no database, no Scrapy. The discover
spider fetches, these functions read what it fetched.
"""

from catalog.feeds.advertised import discover_feeds
from catalog.feeds.listing import parse_listing
from catalog.feeds.model import FeedEntry, FeedError, FeedKind, OpmlFeed, ParsedFeed
from catalog.feeds.opml import parse_opml
from catalog.feeds.parse import html_to_text, parse_feed

__all__ = [
    "FeedEntry",
    "FeedError",
    "FeedKind",
    "OpmlFeed",
    "ParsedFeed",
    "discover_feeds",
    "html_to_text",
    "parse_feed",
    "parse_listing",
    "parse_opml",
]
