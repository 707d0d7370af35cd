"""Report formatters, one module per format (lychee's ``formatters/``): Report → text."""

from __future__ import annotations

from collections.abc import Callable

from catalog.formats import html, json, junit, markdown
from catalog.reports import Report

FORMATS: dict[str, Callable[[Report], str]] = {
    "json": json.format_report,
    "markdown": markdown.format_report,
    "html": html.format_report,
    "junit": junit.format_report,
}

__all__ = ["FORMATS"]
