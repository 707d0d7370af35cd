"""``extract``: one page's metadata as JSON, from a saved file or a URL."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import click

from catalog.errors import InputError
from catalog.metadata import extract


def extract_page(path_or_url: str, url: str | None) -> int:
    """One page's metadata as JSON: why did its title come out like that?"""
    content_type = None
    if path_or_url.startswith(("http://", "https://")):
        from catalog.inflate import ACCEPT_ENCODING, InflateError, read_capped
        from crawler.settings import USER_AGENT

        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING}
        request = urllib.request.Request(path_or_url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                body, _cut = read_capped(response, 8 * 1024 * 1024)  # a bomb stops here
                content_type = response.headers.get("Content-Type")
                url = url or response.geturl()
        except (OSError, InflateError) as exc:
            raise InputError(f"{path_or_url}: cannot fetch: {exc}") from exc
    else:
        try:
            body = Path(path_or_url).read_bytes()
        except OSError as exc:
            raise InputError(f"{path_or_url}: cannot read ({exc.strerror or exc})") from exc
        url = url or Path(path_or_url).resolve().as_uri()
    meta = extract(body, url or path_or_url, content_type=content_type)
    click.echo(json.dumps(meta.to_json(), indent=2, ensure_ascii=False))
    return 0
