"""A sample web: three blogs with articles, feeds, dead links, a redirect and a
rate-limited host. URLs are templates with `{port}`: expand them with `OfflineWeb.expand`."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from ..pages import article_html, atom_feed, rss_feed
from ..spec import Host, Page, Web

RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
ROBOTS = "User-agent: *\nDisallow: /private/\n"


@dataclass
class SampleLinks:
    """URL templates of the sample web, by role."""

    articles: list[str] = field(default_factory=list)  # healthy article pages
    listed: list[str] = field(default_factory=list)  # the links a sample README lists
    dead: list[str] = field(default_factory=list)  # 404 / 410
    redirects: list[str] = field(default_factory=list)  # 301 to an article
    feeds: list[str] = field(default_factory=list)  # RSS and Atom
    rate_limited: list[str] = field(default_factory=list)  # articles on the limited host


BLOGS = [
    # address, name, site title, feed kind, limits
    ("127.0.3.1", "blog-one.test", "Scaling Notes", "rss", {}),
    ("127.0.3.2", "blog-two.test", "Systems Weekly", "atom", {}),
    ("127.0.3.3", "news.test", "Distributed News", "rss", {"max_in_flight": 2, "retry_after": 1}),
]
TOPICS = [
    "Consistent hashing in practice",
    "Designing a rate limiter",
    "Write-ahead logs explained",
    "Leader election without tears",
    "Caching strategies that scale",
    "Sharding a relational database",
]


def _blog(address: str, name: str, title: str, feed_kind: str, links: SampleLinks) -> Host:
    host = Host(names=[name], robots_txt=ROBOTS)
    base = f"http://{address}:{{port}}"
    items: list[tuple[str, str, str]] = []
    for i, topic in enumerate(TOPICS):
        slug = topic.lower().replace(" ", "-")
        path = f"/posts/{slug}"
        url = base + path
        day = 10 + i
        host.pages[path] = Page(
            body=article_html(topic, title, url, f"2024-03-{day}T09:00:00Z", f"{topic}: notes."),
            template=True,
            etag=f'"{name}-{i}"',
            last_modified=f"Sun, {day} Mar 2024 09:00:00 GMT",
        )
        date = f"2024-03-{day}T09:00:00Z" if feed_kind == "atom" else f"{day} Mar 2024 09:00 GMT"
        items.append((topic, url, date))
        links.articles.append(url)
        if i < len(TOPICS) - 2:  # the last two are new: only the feed knows them
            links.listed.append(url)
    items.reverse()
    home = "".join(f'<li><a href="{u}">{html.escape(t)}</a></li>' for t, u, _ in items)
    feed_path = "/feed.xml" if feed_kind == "rss" else "/atom.xml"
    feed_type = RSS if feed_kind == "rss" else ATOM
    host.pages["/"] = Page(
        body=f'<!doctype html><html><head><title>{html.escape(title)}</title><link rel="alternate"'
        f' type="{feed_type}" href="{feed_path}"></head><body><ul>{home}</ul></body></html>',
        template=True,
    )
    body = (
        rss_feed(title, base + "/", items)
        if feed_kind == "rss"
        else atom_feed(title, base + "/", items)
    )
    host.pages[feed_path] = Page(body=body, content_type=feed_type, template=True, etag='"f1"')
    links.feeds.append(base + feed_path)
    return host


def sample_web() -> tuple[Web, SampleLinks]:
    """Three blogs (one rate-limited: 2 in flight, then 429 + Retry-After: 1), each with six
    articles and a feed; dead links (404, 410) and a permanent redirect on the first."""
    web = Web(latency=0.01)
    links = SampleLinks()
    for address, name, title, kind, limits in BLOGS:
        host = _blog(address, name, title, kind, links)
        for key, value in limits.items():
            setattr(host, key, value)
        web.hosts[address] = host
        if limits:
            links.rate_limited += [u for u in links.articles if f"//{address}:" in u]
    first = web.hosts["127.0.3.1"]
    base = "http://127.0.3.1:{port}"
    first.pages["/posts/removed-article"] = Page(status=404, body="<h1>Not found</h1>")
    first.pages["/posts/retired-series"] = Page(status=410, body="<h1>Gone</h1>")
    target = links.articles[0].replace(base, "")
    first.pages["/posts/old-url"] = Page(status=301, location=target)
    links.dead += [base + "/posts/removed-article", base + "/posts/retired-series"]
    links.redirects.append(base + "/posts/old-url")
    return web, links


def sample_readme(links: SampleLinks, expand: dict[str, str] | None = None) -> str:
    """A small curated-list README over the sample web (templates expanded with `expand`)."""

    def x(url: str) -> str:
        for key, value in (expand or {}).items():
            url = url.replace(key, value)
        return url

    lines = ["# Sample reading list", "", "## Articles", ""]
    lines += [f"- [Article {i + 1}]({x(u)})" for i, u in enumerate(links.listed)]
    lines += ["", "## Archive", ""]
    lines += [f"- [Old link {i + 1}]({x(u)})" for i, u in enumerate(links.dead + links.redirects)]
    lines += ["", "## Feeds", ""]
    lines += [f"- <{x(u)}>" for u in links.feeds]
    return "\n".join(lines) + "\n"
