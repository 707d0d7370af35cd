"""A report's line numbers moved to another text of its document: the README a pull request
proposes, whose lines differ from the README the catalog imported (new entries rendered in,
groups sorted, links marked), so that the body never mixes the two.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path

from catalog.hygiene import Hygiene, problems
from catalog.readme_parser import MarkdownError, parse_markdown
from catalog.reports import Report, ReportLink, Source
from catalog.urls import link_key


def relined(report: Report, document: str, text: str, base_dir: Path | None = None) -> Report:
    """*report* with *document*'s sources and hygiene read from *text* instead.

    A link is found in *text* by its key; one that is not there any more (rewritten by the
    pull request) keeps the places the catalog knows.
    """
    try:
        parsed = parse_markdown(text, base_dir=base_dir)
    except MarkdownError:
        return report
    places: dict[str, list[Source]] = defaultdict(list)
    for ref in parsed.links:
        if ref.image:
            continue
        section = None
        if ref.heading is not None:
            section = " > ".join(parsed.headings[ref.heading].path) or None
        places[link_key(ref.url, document)].append(Source(document, section, ref.line))
    links = tuple(_moved(link, document, places) for link in report.links)
    found = tuple(
        Hygiene(document, p.code, p.line, p.text, p.fix, p.message) for p in problems(text, parsed)
    )
    others = tuple(h for h in report.hygiene if h.document != document)
    return dataclasses.replace(report, links=links, hygiene=others + found)


def _moved(link: ReportLink, document: str, places: dict[str, list[Source]]) -> ReportLink:
    here = places.get(link_key(link.url, document))
    if not here:
        return link
    elsewhere = tuple(s for s in link.sources if s.document != document)
    return dataclasses.replace(link, sources=elsewhere + tuple(here))
