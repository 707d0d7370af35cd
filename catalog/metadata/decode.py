"""Bytes to text for HTML pages: BOM, declared charset (HTTP header, then ``<meta>``), detection.

Browsers follow the declaration; so do we, with two exceptions that real pages need: a page
declared UTF-8 whose bytes are not UTF-8 (a CMS that mislabels a windows-1252 page), and a
page declared in a single-byte charset whose bytes are valid multi-byte UTF-8 (a template
copied from an old site). Undeclared pages are UTF-8 when they decode as such, else what
charset-normalizer detects, else windows-1252 (which decodes every byte).

A page of UTF-8 with a few windows-1252 bytes pasted in (an old footer, an image's alt
text) is mixed, not mislabelled: it decodes as UTF-8, each stray byte as windows-1252,
rather than as a whole in a detected charset that would garble every other accent.
"""

from __future__ import annotations

import codecs
import re

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

_SINGLE_BYTE = {"cp1252", "latin_1", "iso8859_1", "iso8859_15", "ascii"}
_LATIN_ALTERNATIVES = {
    "cp1250",
    "cp1254",
    "cp1257",
    "iso8859_2",
    "iso8859_9",
    "iso8859_13",
    "iso8859_15",
    "latin_1",
    "iso8859_1",
    "mac_roman",
    "mac_latin2",
    "cp850",
}
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_DETECT_SAMPLE = 256 * 1024


def _canonical(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name.replace("-", "_")
    except LookupError:
        return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _cp1252_bytes(err: UnicodeError) -> tuple[str, int]:
    """Decoding error handler: the bytes that are not UTF-8, read as windows-1252."""
    assert isinstance(err, UnicodeDecodeError)
    return err.object[err.start : err.end].decode("cp1252", errors="replace"), err.end


codecs.register_error("listkeeper.cp1252", _cp1252_bytes)
_ACCENTED = re.compile(r"[^\x00-\x7f\ufffd]")


def _not_utf8(data: bytes) -> str:
    """The text of bytes that do not decode as UTF-8: mostly UTF-8 with stray windows-1252
    bytes (more characters decode than fail), else a charset of its own, detected."""
    text = data.decode("utf-8", errors="replace")
    if len(_ACCENTED.findall(text)) > text.count("\ufffd"):
        return data.decode("utf-8", errors="listkeeper.cp1252")
    return data.decode(_detect(data), errors="replace")


def _detect(data: bytes) -> str:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return "cp1252"
    best = from_bytes(data[:_DETECT_SAMPLE]).best()
    enc = _canonical(best.encoding) if best is not None else None
    if enc is None or enc == "utf_8":
        return "cp1252"
    if enc in _LATIN_ALTERNATIVES:
        # detectors confuse the Latin code pages on short texts; the web's default wins
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return enc
        return "cp1252"
    return enc


def decode_html(body: bytes | str, content_type: str | None = None) -> str:
    """The text of an HTML page given its bytes and (optionally) its HTTP Content-Type."""
    if isinstance(body, str):
        return body
    bom_enc, bom = read_bom(body)
    if bom_enc and bom:
        return body[len(bom) :].decode(bom_enc, errors="replace")
    declared = _canonical(http_content_type_encoding(content_type) if content_type else None)
    from_header = declared is not None
    if declared is None:
        declared = _canonical(html_body_declared_encoding(body))
    # WHATWG: latin-1 and ascii labels mean windows-1252.
    if declared in {"latin_1", "ascii", "iso8859_1"}:
        declared = "cp1252"
    if declared is not None and declared not in {"utf_16", "utf_16_le", "utf_16_be"}:
        if declared == "utf_8":
            return body.decode("utf-8") if _is_utf8(body) else _not_utf8(body)
        if (
            not from_header
            and declared in _SINGLE_BYTE
            and _NON_ASCII.search(body)
            and _is_utf8(body)
        ):
            return body.decode("utf-8")
        return body.decode(declared, errors="replace")
    return body.decode("utf-8") if _is_utf8(body) else _not_utf8(body)
