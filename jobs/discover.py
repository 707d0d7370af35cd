"""Feeds, discovery and candidates: ``feeds ...``, ``discover``, ``candidates ...``."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from catalog import db
from catalog.candidates import add_feed, decide, valid_feed_url
from catalog.errors import InputError
from catalog.feeds import parse_opml
from catalog.importer import document_key, import_readme
from catalog.models import Entry, Feed, Link, PageMetadata, Section
from catalog.queries import document_by_path
from catalog.urls import parse_rules, rewrite
from catalog.vocabulary import EntryState
from jobs.context import Context
from jobs.crawling import run_crawl


def _crawl_settings(ctx: Context, allow_private: bool, **extra: Any) -> dict[str, Any]:
    check_cfg = ctx.config.check
    return {
        "STORE_DATABASE_URL": ctx.url,
        "STORE_UNMAP": list(check_cfg.unmap),
        "PRIVATEGUARD_ENABLED": not allow_private,
        "PRIVATEGUARD_ALLOW_NETWORKS": list(check_cfg.allow_networks),
        **extra,
        **check_cfg.settings,
    }


def _probe(ctx: Context, url: str, allow_private: bool) -> dict[str, Any]:
    """Fetch ``url`` once through the feeds spider and say what it is (nothing stored)."""
    remap = parse_rules(list(ctx.config.check.remap), "[check] remap")
    with tempfile.TemporaryDirectory(prefix="listkeeper-probe-") as folder:
        output = Path(folder) / "probe.json"
        feed = {"id": 0, "url": rewrite(url, remap), "kind": "probe"}
        run_crawl(
            "feeds",
            {"feeds": [feed]},
            _crawl_settings(ctx, allow_private, FEEDS_PROBE_OUTPUT=str(output)),
        )
        if not output.exists():
            return {"error": "no answer"}
        found: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
        return found


def feeds_add(ctx: Context, url: str, section: str | None, allow_private: bool = False) -> int:
    """Follow a feed, or a blog's listing page when the page has no feed (read once to tell)."""
    url = url.strip()
    with db.session_scope(ctx.engine()) as s:
        valid_feed_url(url)
        known = s.scalar(select(Feed).where(Feed.url == url))
        if known is not None:
            click.echo(f"already following {known.url} (id {known.id}, {known.kind})")
            return 0
    found = _probe(ctx, url, allow_private)
    kind, note = "feed", ""
    if str(found.get("error", "")).startswith("excluded: private address"):
        raise InputError(
            f"{url}: {found['error'].removeprefix('excluded: ')}; pass --allow-private "
            "or add its network to [check] allow_networks"
        )
    if found.get("error"):
        note = f"; not read now ({found['error']}): `discover` tells a listing page apart later"
    elif found.get("advertised"):
        url, note = found["advertised"][0], f"; the feed that {url} advertises"
    elif found.get("kind") is None:
        raise InputError(
            f"{url}: {found.get('reason') or 'neither a feed nor a listing page'}; "
            "follow the blog's feed, or a page that lists its articles"
        )
    else:
        kind = found["kind"]
        if kind == "listing":
            note = f" as a listing page: no feed advertised, {found.get('cards', 0)} article cards"
    with db.session_scope(ctx.engine()) as s:
        feed, new = add_feed(s, url, section=section, kind=kind)
        verb = "following" if new else "already following"
        click.echo(f"{verb} {feed.url}{note} (id {feed.id})")
    return 0


def feeds_import_opml(ctx: Context, path: Path) -> int:
    try:
        feeds = parse_opml(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except ValueError as exc:
        raise InputError(f"{path}: not an OPML file: {exc}") from exc
    added = 0
    with db.session_scope(ctx.engine()) as s:
        for f in feeds:
            _, new = add_feed(s, f.xml_url, title=f.title, site_url=f.html_url)
            added += new
    click.echo(f"{path}: {len(feeds)} feeds, {added} new, {len(feeds) - added} already followed")
    return 0


def feeds_list(ctx: Context) -> int:
    with db.session_factory(ctx.engine())() as s:
        for f in s.scalars(select(Feed).order_by(Feed.id)):
            state = f"failing x{f.failures}: {f.last_error}" if f.failures else (f.last_error or "")
            polled = f.last_polled_at.strftime("%Y-%m-%d %H:%M") if f.last_polled_at else "never"
            line = f"{f.id:>5}  {f.kind:<8} {f.url}  [polled {polled}] {state}"
            click.echo(line.rstrip())
    return 0


def feeds_suggest(ctx: Context) -> int:
    """Sites linked from the list whose pages advertise a feed that is not followed yet."""
    with db.session_factory(ctx.engine())() as s:
        followed = set(s.scalars(select(Feed.url)))
        seen: dict[str, str] = {}
        for feeds, url in s.execute(
            select(PageMetadata.feeds, Link.url).join(Link, Link.id == PageMetadata.link_id)
        ):
            for feed in feeds or []:
                if feed not in followed:
                    seen.setdefault(feed, url)
    for feed, page in sorted(seen.items()):
        click.echo(f"{feed}  (advertised by {page})")
    if not seen:
        click.echo("no new feed advertised by the checked pages (run `listkeeper check` first)")
    return 0


def discover(ctx: Context, readme: Path | None, allow_private: bool = False) -> int:
    readme = readme or ctx.config.readme
    engine = ctx.engine()
    with db.session_scope(engine) as s:
        document_id = None
        if readme.exists():
            import_readme(s, readme)  # the README is the truth: candidates are checked against it
            doc = document_by_path(s, document_key(readme))
            document_id = doc.id if doc else None
        remap = parse_rules(list(ctx.config.check.remap), "[check] remap")
        feeds: list[dict[str, Any]] = [
            # fetched where [check] remap sends it; stored as followed
            {
                "id": f.id,
                "url": rewrite(f.url, remap),
                "etag": f.etag,
                "last_modified": f.last_modified,
                "kind": f.kind,
            }
            for f in s.scalars(select(Feed).order_by(Feed.id))
        ]
        before = s.scalar(select(Entry.id).order_by(Entry.id.desc()).limit(1)) or 0
    if not feeds:
        click.echo("no feeds followed yet: `listkeeper feeds add URL` or `feeds import-opml FILE`")
        return 0
    settings = _crawl_settings(ctx, allow_private, DISCOVER_DOCUMENT_ID=document_id or 0)
    run_crawl("feeds", {"feeds": feeds}, settings)
    with db.session_factory(engine)() as s:
        new = s.scalars(
            select(Entry).where(Entry.id > before, Entry.state == EntryState.CANDIDATE)
        ).all()
        failing = s.scalars(select(Feed).where(Feed.failures > 0).order_by(Feed.id)).all()
    click.echo(f"polled {len(feeds)} feeds: {len(new)} new candidates, {len(failing)} failing")
    for f in failing:
        click.echo(f"  failing x{f.failures}: {f.url}: {f.last_error}", err=True)
    return 0


def candidates_list(ctx: Context) -> int:
    with db.session_factory(ctx.engine())() as s:
        rows = s.execute(
            select(Entry, Section.heading)
            .outerjoin(Section, Entry.section_id == Section.id)
            .where(Entry.state == EntryState.CANDIDATE)
            .order_by(Entry.id)
        ).all()
        for entry, heading in rows:
            url = entry.links[0].url if entry.links else entry.key
            click.echo(f"{entry.id:>6}  {entry.title}\n        {url}\n        → {heading or '?'}")
    if not rows:
        click.echo("no candidates (run `listkeeper discover`)")
    return 0


def candidates_decide(ctx: Context, entry_id: int, *, accept: bool, section: str | None) -> int:
    with db.session_scope(ctx.engine()) as s:
        entry = decide(s, entry_id, accept=accept, section=section)
        verb = "accepted" if accept else "rejected"
        click.echo(f"{verb} {entry.id}: {entry.title}")
    if accept:
        click.echo("it appears in the README at the next `listkeeper render`")
    return 0
