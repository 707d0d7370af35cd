"""catalog.store.record writes what the web sends on either backend."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from catalog import db
from catalog.config import Verdicts
from catalog.importer import import_readme
from catalog.models import Check, Link, PageMetadata, utcnow
from catalog.store import Result, record
from catalog.verdicts import OutcomeKind


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
