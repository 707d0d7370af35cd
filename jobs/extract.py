"""``extract``: one page's metadata as JSON, from a saved file or a URL."""

from __future__ import annotations

import json
from pathlib import Path

import click

from catalog.errors import InputError
from catalog.metadata import extract


def extract_page(path_or_url: str, url: str | None) -> int:
    """One page's metadata as JSON: why did its title come out like that?"""
    content_type = None
    if path_or_url.startswith(("http://", "https://")):
        from jobs.http import FetchError, fetch

        try:
            answer = fetch(path_or_url)  # a bomb stops at the cap
        except FetchError as exc:
            raise InputError(f"{path_or_url}: cannot fetch: {exc}") from exc
        if answer.status >= 300:
            error = f"HTTP Error {answer.status}: {answer.reason}"
            raise InputError(f"{path_or_url}: cannot fetch: {error}")
        body = answer.body
        content_type = answer.header("Content-Type")
        url = url or answer.url
    else:
        try:
            body = Path(path_or_url).read_bytes()
        except OSError as exc:
            raise InputError(f"{path_or_url}: cannot read ({exc.strerror or exc})") from exc
        url = url or Path(path_or_url).resolve().as_uri()
    meta = extract(body, url or path_or_url, content_type=content_type)
    click.echo(json.dumps(meta.to_json(), indent=2, ensure_ascii=False))
    return 0
