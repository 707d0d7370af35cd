"""The report job: the dead-link report of the catalog, as Markdown, JSON, HTML or JUnit."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.orm import Session

from catalog import db
from catalog.candidates_view import candidates_for_report
from catalog.errors import InputError
from catalog.formats import FORMATS
from catalog.formats import html as html_format
from catalog.importer import document_key
from catalog.output import redact
from catalog.queries import document_by_path
from catalog.reports import Report, build_report
from jobs.context import Context
from jobs.readme import atomic_write


def report(ctx: Context, fmt: str, output: Path | None, document: str | None) -> int:
    """Write the report to *output* (atomically) or to stdout; exit 0 whatever it finds."""
    if fmt not in FORMATS:
        raise InputError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    with db.session_factory(ctx.engine())() as session:
        doc_path = None
        if document is not None:
            doc_path = _document(session, document)
        result: Report = build_report(session, document_path=doc_path)
        candidates = candidates_for_report(session, doc_path) if fmt == "html" else []
    if fmt == "html":
        wayback = ctx.config.tables.report.wayback
        text = html_format.format_report(result, candidates=candidates, wayback=wayback)
    else:
        text = FORMATS[fmt](result)
    text = redact(text)  # a report is an output path like any other (catalog.output)
    if output is None:
        click.echo(text, nl=False)
    else:
        atomic_write(output, text)
        s = result.summary
        click.echo(f"wrote {output}: {s.total} links, {s.dead} dead, {s.failing} failing", err=True)
    return 0


def _document(session: Session, document: str) -> str:
    """The catalog's name for *document*, as given or relative to the working directory."""
    for candidate in (document, document_key(Path(document))):
        if document_by_path(session, candidate) is not None:
            return candidate
    raise InputError(f"{document} is not in the catalog; run `listkeeper import {document}` first")
