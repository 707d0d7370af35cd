"""What a link in a README points at, and the key that identifies it in the catalog."""

from __future__ import annotations

import functools
import posixpath
import re
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import tldextract
from w3lib.url import safe_url_string

from catalog.vocabulary import LinkKind

__all__ = [
    "classify",
    "host_of",
    "link_key",
    "resolve_relative",
    "split_fragment",
    "web_url",
]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_LABEL = re.compile(r"^(?!-)[a-z0-9\-]{1,63}(?<!-)$")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# Characters that make a URL need w3lib's percent-encoding before it can be compared.
_UNSAFE = frozenset(' "<>\\^`{|}')
# Already canonical: lowercase scheme and host, no port or userinfo, a path, safe ASCII.
_CANONICAL = re.compile(r"https?://[a-z0-9.\-]*[a-z0-9\-]/[!#-;=?-\[\]_a-z~]*")

# "host.tld/..." without a scheme is a URL when its first segment is a name under a public
# suffix (the Public Suffix List); else it is a path in the repository.


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Suffixes that are file extensions first: "setup.py", "notes.md" and "logo.png" are files.
_FILE_EXTENSIONS = _words(
    """md markdown mdx rst txt html htm xhtml png jpg jpeg gif svg webp ico bmp pdf json yml
    yaml toml ini cfg conf xml csv tsv py js mjs ts tsx jsx css scss go rs rb java kt c h cpp
    hpp cs php pl sh bash zsh ps1 bat lock zip gz tgz tar bz2 xz 7z whl jar ipynb sql db log
    mp3 mp4 mov webm avi wav ogg ttf woff woff2 eot"""
)


def split_fragment(url: str) -> tuple[str, str]:
    """``("page?q", "frag")`` for ``"page?q#frag"``; the fragment is "" when absent."""
    base, _, fragment = url.partition("#")
    return base, fragment


def _looks_like_host(segment: str) -> bool:
    host = segment.rsplit("@", 1)[-1].split(":", 1)[0].lower().rstrip(".")
    labels = host.split(".")
    if len(labels) < 2:
        return False
    tld = labels[-1]
    if not tld.isalpha() or tld in _FILE_EXTENSIONS:
        return False
    if not all(_LABEL.match(label) or (not label.isascii() and label) for label in labels):
        return False
    return _public_suffix(host)


@functools.cache
def _suffixes() -> tldextract.TLDExtract:
    # The Public Suffix List as shipped with tldextract: never fetched, never cached to disk.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _public_suffix(host: str) -> bool:
    """Whether *host* is a name under a public suffix (``example.com``, ``x.github.io``)."""
    try:
        parts = _suffixes()(host)
    except (ValueError, UnicodeError):
        return False
    return bool(parts.suffix and parts.domain)


def classify(url: str) -> LinkKind:
    """How *url*, as written in a README, is to be checked."""
    url = url.strip()
    if not url or url.startswith("#"):
        return LinkKind.ANCHOR
    if url.startswith("//"):
        # A network-path reference: github.com serves READMEs over https, so it is https.
        return LinkKind.EXTERNAL
    match = _SCHEME.match(url)
    if match and "." not in match.group(1):
        scheme = match.group(1).lower()
        if scheme in ("http", "https"):
            return LinkKind.EXTERNAL
        if scheme == "mailto":
            return LinkKind.MAILTO
        return LinkKind.OTHER
    if url.startswith((".", "/", "?")):
        return LinkKind.RELATIVE
    first = re.split(r"[/?#]", url, maxsplit=1)[0]
    if _looks_like_host(first):
        return LinkKind.NO_SCHEME
    return LinkKind.RELATIVE


# What browsers (WHATWG URL) drop: C0 controls and spaces at either end, tabs and newlines
# anywhere ("java\nscript:" is "javascript:" to a browser, so it is to the gate).
_URL_EDGES = "".join(map(chr, range(0x21)))
_URL_DROPPED = str.maketrans("", "", "\t\n\r")
# What a stored URL may not hold raw: C0 controls, space, DEL, C1 controls, and the bidi
# embeddings, overrides and isolates that would make it display as another URL.
_URL_ENCODED = re.compile("[\x00-\x20\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BAD_HOST = frozenset('%<>"{}|\\^`/?#@')


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in match.group(0).encode("utf-8"))


def web_url(url: str | None, base: str | None = None) -> str | None:
    """The absolute http(s) URL that *url* names (resolved against *base*), or None.

    The one gate for every URL that the web hands the catalog: feed and sitemap entries,
    listing pages, advertised feeds, redirect targets. Only ``http`` and ``https`` with a
    host and a valid port pass (never ``javascript:``, ``data:``, ``file:``, ``ftp:``...);
    what a URL cannot hold raw (controls, spaces, bidi overrides) is percent-encoded, so
    nothing stored can end a Markdown link or turn a terminal. A README's own links are
    the maintainer's and are classified instead (:func:`classify`): only its EXTERNAL and
    NO_SCHEME links are fetched, and ``classify`` agrees with this gate on which they are.
    """
    if not url:
        return None
    url = url.strip(_URL_EDGES).translate(_URL_DROPPED)
    if base:
        try:
            url = urljoin(base.strip(_URL_EDGES).translate(_URL_DROPPED), url)
        except ValueError:
            return None
    if classify(url) is not LinkKind.EXTERNAL or url.startswith("//"):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port out of range or not a number)
    except ValueError:
        return None
    host = parts.hostname or ""
    if not host.strip("[]") or _URL_ENCODED.search(host) or any(c in _BAD_HOST for c in host):
        return None
    url = _URL_ENCODED.sub(_percent, url)
    scheme = parts.scheme.lower()
    return scheme + url[len(parts.scheme) :]


def _canonical_http(url: str) -> str:
    # Not w3lib.url.canonicalize_url: it sorts query arguments, and the order of a query
    # can matter to a server and is how the list writes the URL; it also turns
    # "a b" into "a+b" in queries. We take from w3lib only the percent-encoding of unsafe
    # and non-ASCII characters (IDNA for the host) and normalise what RFC 3986 calls
    # equivalent: scheme and host case, the default port, an empty path. The fragment is
    # kept: "page#a" and "page#b" are checked separately (a missing fragment is a finding).
    if _CANONICAL.fullmatch(url):
        return url
    if not url.isascii() or any(c in _UNSAFE for c in url):
        url = safe_url_string(url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if hostport.startswith("["):
        host, _, rest = hostport.partition("]")
        host, port = host + "]", rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = hostport.partition(":")
    host = host.lower().rstrip(".")
    if port == _DEFAULT_PORTS.get(scheme):
        port = ""
    netloc = f"{userinfo}{at}{host}{':' if port else ''}{port}"
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, parts.query, parts.fragment))


def link_key(url: str, document_path: str | None = None, *, kind: LinkKind | None = None) -> str:
    """The normalised key that identifies a distinct link target in the catalog.

    external: scheme and host lowercased, default port dropped, query order and fragment
    kept (http and https stay distinct); no scheme: the key of ``https://`` + url;
    relative: ``file:`` + the path resolved against the document's directory (fragment
    kept, query dropped); anchor: ``<document_path>#<fragment>``; others: the url stripped.
    *kind*, when the caller already has ``classify(url)``, saves classifying it again.
    """
    url = url.strip()
    if kind is None:
        kind = classify(url)
    if kind is LinkKind.EXTERNAL:
        try:
            return _canonical_http("https:" + url if url.startswith("//") else url)
        except ValueError:  # an unparsable port or host: keep it as written
            return url
    if kind is LinkKind.NO_SCHEME:
        return link_key("https://" + url)
    if kind is LinkKind.ANCHOR:
        return f"{document_path or ''}#{split_fragment(url)[1]}"
    if kind is LinkKind.RELATIVE:
        return "file:" + resolve_relative(url, document_path) + _fragment_suffix(url)
    return url


def _fragment_suffix(url: str) -> str:
    fragment = split_fragment(url)[1]
    return f"#{fragment}" if fragment else ""


def resolve_relative(url: str, document_path: str | None = None) -> str:
    """The repository path a relative link points at (posix, normalised, no query)."""
    path = unquote(split_fragment(url)[0].partition("?")[0])
    if path.startswith("/"):
        joined = path.lstrip("/")
    else:
        directory = posixpath.dirname(document_path.replace("\\", "/")) if document_path else ""
        joined = posixpath.join(directory, path)
    return posixpath.normpath(joined) if joined else "."


def host_of(url: str) -> str | None:
    """The lowercased host of an external or scheme-less link, else None."""
    kind = classify(url)
    if kind not in (LinkKind.EXTERNAL, LinkKind.NO_SCHEME):
        return None
    key = link_key(url)
    try:
        host = urlsplit(key).hostname
    except ValueError:
        return None
    return host or None


def slot_host(url: str) -> str:
    """A fetched URL's host as Scrapy keys its download slots (the lowercased hostname, no
    port), "" if it has none: what crawl processes and queue workers split hosts by, so a
    per-host limit is one limit."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


Rule = tuple["re.Pattern[str]", str]


def parse_rules(rules: list[str], where: str) -> list[Rule]:
    """``"PATTERN REPLACEMENT"`` strings (lychee's remap convention) as compiled rules."""
    from catalog.errors import ConfigError
    from catalog.patterns import PatternError, compile_pattern, split_rule

    out: list[Rule] = []
    for rule in rules:
        try:
            pattern, replacement = split_rule(rule)
            out.append((compile_pattern(pattern), replacement))
        except PatternError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
    return out


def rewrite(url: str, rules: list[Rule]) -> str:
    """The URL after the first rule that changes it (or as it was)."""
    for pattern, replacement in rules:
        new = pattern.sub(replacement, url)
        if new != url:
            return new
    return url
