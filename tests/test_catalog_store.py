"""catalog.store.record writes what the web sends on either backend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from catalog import db
from catalog.config import Verdicts
from catalog.importer import import_readme
from catalog.models import Check, Link, PageMetadata
from catalog.store import Result, due_count, due_links, host_answers, record, status_counts
from catalog.vocabulary import OutcomeKind, utcnow


def test_nul_characters_from_the_web_are_dropped_not_fatal(engine: Engine, tmp_path: Path) -> None:
    """PostgreSQL's text cannot hold NUL (SQLite can): one such page must not lose a batch."""
    readme = tmp_path / "README.md"
    readme.write_text("# L\n\n- [A](https://a.example/)\n- [B](https://b.example/)\n")
    with db.session_scope(engine) as s:
        import_readme(s, readme)
        ids = {url: id_ for url, id_ in s.execute(select(Link.url, Link.id))}
    now = utcnow()
    results = [
        Result(
            link_id=ids["https://a.example/"],
            outcome=OutcomeKind.TRANSIENT,
            reason="HTTP 500",
            checked_at=now,
            http_status=500,
            error="bad\x00 reason",
            etag='"e\x00"',
            redirects=[[301, "https://a.example/\x00x"]],
        ),
        Result(
            link_id=ids["https://b.example/"],
            outcome=OutcomeKind.OK,
            reason="",
            checked_at=now,
            http_status=200,
            metadata={"title": "T\x00itle", "authors": ["A\x00n"]},
        ),
    ]
    with db.session_scope(engine) as s:
        record(s, results, verdicts=Verdicts(), ttl=timedelta(hours=1), now=now)
    with db.session_scope(engine) as s:
        a = s.scalar(select(Link).where(Link.url == "https://a.example/"))
        assert a is not None and (a.error, a.etag) == ("bad reason", '"e"')
        assert s.scalars(select(Check.redirects).order_by(Check.id)).all() == [
            [[301, "https://a.example/x"]],
            None,
        ]
        meta = s.scalar(select(PageMetadata))
        assert meta is not None and (meta.title, meta.authors) == ("Title", ["An"])


def test_host_answers_counts_statuses_per_host(engine: Engine, tmp_path: Path) -> None:
    """What the 403 rule knows of a host, counted by the database: its size follows the
    hosts, not the links."""
    readme = tmp_path / "README.md"
    urls = ["https://a.example/1", "https://a.example/2", "https://a.example/3"]
    urls += ["https://b.example/1", "https://c.example/never-checked"]
    readme.write_text("# L\n\n" + "".join(f"- [x]({u})\n" for u in urls))
    with db.session_scope(engine) as s:
        import_readme(s, readme)
        ids = {url: id_ for url, id_ in s.execute(select(Link.url, Link.id))}
    now = utcnow()
    answers = [("https://a.example/1", 200), ("https://a.example/2", 200)]
    answers += [("https://a.example/3", 403), ("https://b.example/1", None)]
    results = [
        Result(
            link_id=ids[url],
            outcome=OutcomeKind.OK if status == 200 else OutcomeKind.TRANSIENT,
            reason="",
            checked_at=now,
            http_status=status,
        )
        for url, status in answers
    ]
    with db.session_scope(engine) as s:
        record(s, results, verdicts=Verdicts(), ttl=timedelta(hours=1), now=now)
    with db.session_scope(engine) as s:
        got = {host: sorted(pairs, key=str) for host, pairs in host_answers(s).items()}
    assert got == {"a.example": [[200, 2], [403, 1]], "b.example": [[None, 1]]}


def test_a_link_no_document_holds_is_retired_and_comes_back_with_its_history(
    engine: Engine, tmp_path: Path
) -> None:
    readme = tmp_path / "README.md"
    both = "# L\n\n- [A](https://a.example/)\n- [B](https://b.example/)\n"
    readme.write_text(both)
    with db.session_scope(engine) as s:
        import_readme(s, readme)
        b = s.scalar(select(Link.id).where(Link.url == "https://b.example/"))
        assert b is not None
        dead = Result(b, OutcomeKind.PERMANENT, "HTTP 404", utcnow(), http_status=404)
        record(s, [dead], verdicts=Verdicts(), ttl=timedelta(0))
    readme.write_text("# L\n\n- [A](https://a.example/)\n")  # B removed from the list
    with db.session_scope(engine) as s:
        import_readme(s, readme)
        assert [d.url for d in due_links(s, all_links=True)] == ["https://a.example/"]
        assert due_count(s, all_links=True) == 1
    with db.session_factory(engine)() as s:
        assert status_counts(s) == {"unchecked": 1}  # B neither checked nor counted
    readme.write_text(both)
    with db.session_scope(engine) as s:
        import_readme(s, readme)
        assert {d.url for d in due_links(s, all_links=True)} == {
            "https://a.example/",
            "https://b.example/",
        }
        assert s.scalar(select(Link.status).where(Link.id == b)) == "failing"  # history kept
        assert len(s.scalars(select(Check).where(Check.link_id == b)).all()) == 1


def test_stored_publication_date_keeps_the_page_day(engine: Engine, tmp_path: Path) -> None:
    """03:01 at +04:00 is 23:01 UTC the day before: the catalog stores the instant in UTC
    and the page's offset beside it, so the day read back is the page's (June 3rd)."""
    from crawler.items import CheckItem
    from pipelines.metadata import MetadataPipeline

    readme = tmp_path / "README.md"
    readme.write_text("# L\n\n- [Dawn](https://a.example/dawn)\n")
    with db.session_scope(engine) as s:
        import_readme(s, readme)
        link_id = s.scalars(select(Link.id)).one()
    head = '<meta property="article:published_time" content="2020-06-03T03:01:00+04:00">'
    html = f"<html><head>{head}</head><body><h1>Dawn</h1><p>Early.</p></body></html>"
    item = MetadataPipeline().process_item(
        CheckItem(link_id=link_id, url="https://a.example/dawn", http_status=200, html=html)
    )
    now = utcnow()
    result = Result(
        link_id=link_id,
        outcome=OutcomeKind.OK,
        reason="",
        checked_at=now,
        http_status=200,
        metadata=item.metadata,
    )
    with db.session_scope(engine) as s:
        record(s, [result], verdicts=Verdicts(), ttl=timedelta(hours=1), now=now)
    with db.session_scope(engine) as s:
        meta = s.scalars(select(PageMetadata)).one()
        assert meta.published == datetime(2020, 6, 2, 23, 1, tzinfo=UTC)  # the same instant
        assert meta.published_local is not None
        assert meta.published_local.date() == date(2020, 6, 3)
        assert meta.published_local.isoformat() == "2020-06-03T03:01:00+04:00"
