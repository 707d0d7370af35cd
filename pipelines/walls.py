"""Bot walls, consent and login walls, regional editions: what answered is not the page.

Detection works from the status, the headers a check keeps and the first few KB of the
body (``crawler.items.BODY_SAMPLE_CHARS``); tests/test_pipelines_classify.py pins each rule
on a hand-made response, then holds them to recorded real responses (its corpus suite).
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

from crawler.items import BODY_SAMPLE_CHARS, CheckItem
from pipelines.fingerprint import visible_text

TINY_TEXT_CHARS = 600  # visible text under this (whole body sampled) is a near-empty page


def path_segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def site_of(host: str) -> str:
    return host.lower().removeprefix("www.")


def tiny_page(body: str | None) -> bool:
    return (
        body is not None
        and len(body) < BODY_SAMPLE_CHARS
        and len(visible_text(body)) < TINY_TEXT_CHARS
    )


_CF_TITLES = (
    "just a moment",
    "attention required",
    "please wait... | cloudflare",
    "checking your browser",
    "one more step",
)
_CF_MARKERS = (
    "/cdn-cgi/challenge-platform/",
    "/cdn-cgi/bm/cv/",
    "cf_chl_",
    "cf-browser-verification",
    "cf-challenge",
    "jschl",
)
_AKAMAI_REF = re.compile(r"Reference\s*#\s*\d+\.[0-9a-fA-F]+\.\d+")
_DATADOME_MARKUP = "captcha-delivery.com"
_PERIMETERX = ("px-captcha", "_pxcaptcha", "perimeterx", "_pxappid")
_BLOCK_WORDS = re.compile(
    r"\b(?:request (?:is |was )?blocked|access (?:is |has been )?(?:blocked|denied)"
    r"|blocked diagnostic|you (?:have been|are|were) blocked|unsupported browser"
    r"|are you a (?:human|robot)|captcha|automated (?:access|requests|queries))\b",
    re.I,
)
S3_ERROR = re.compile(r"<Error>\s*<Code>(\w+)</Code>", re.I)


def bot_wall(item: CheckItem, status: int, title: str) -> str | None:
    """Why this answer is a bot wall, or None."""
    headers = item.headers
    body = item.body_sample or ""
    lowered = body.lower()
    server = headers.get("server", "").lower()
    cookies = headers.get("set-cookie", "").lower()
    error_status = status >= 400 and status not in (404, 410, 429)
    small = tiny_page(body)  # cheap: False as soon as the sample is full

    if "challenge" in headers.get("cf-mitigated", "").lower():
        return "Cloudflare challenge (cf-mitigated: challenge)"
    if status == 999:
        return "999: the site refuses automated clients (LinkedIn-style bot wall)"
    if waf := headers.get("x-amzn-waf-action"):
        return f"AWS WAF {waf} (x-amzn-waf-action)"
    incapsula = "_incapsula_resource" in lowered or "incapsula incident" in lowered
    if incapsula and (error_status or small):
        return "Imperva Incapsula interstitial (_Incapsula_Resource)"
    if status == 403 and ("x-iinfo" in headers or "incapsula" in headers.get("x-cdn", "").lower()):
        return "Imperva Incapsula refusal (403 with x-iinfo)"
    # A challenge title on a 403/503, or either of them with challenge markup.
    cf_title = title.lower().startswith(_CF_TITLES)
    cf_status = status in (403, 503)
    if (cf_title or cf_status) and (
        (cf_title and cf_status) or any(m in lowered for m in _CF_MARKERS)
    ):
        via = "server: cloudflare, " if "cloudflare" in server else ""
        shown = f"'{title}'" if title else "challenge markup"
        return f"Cloudflare challenge page ({via}{status}, {shown})"
    if (status == 403 or small) and (
        "x-datadome" in headers or "datadome" in cookies or _DATADOME_MARKUP in lowered
    ):
        return "DataDome bot wall"
    if (status == 403 or small) and (
        any(m in lowered for m in _PERIMETERX) or cookies.startswith("_px")
    ):
        return "PerimeterX (HUMAN) bot wall"
    akamai = "access denied" in lowered and _AKAMAI_REF.search(html.unescape(body))
    if akamai:
        return f"Akamai edge 'Access Denied' ({akamai.group(0)})"
    if status == 403 and "akamaighost" in server:
        return "Akamai edge refusal (403, server: AkamaiGHost)"
    if status == 403 and ("x-sucuri-block" in headers or "sucuri" in server):
        return "Sucuri firewall refusal (403)"
    if status == 451:
        return "451 Unavailable For Legal Reasons: a geographic or legal block"
    if status == 403 and not S3_ERROR.search(body):
        in_title = _BLOCK_WORDS.search(title)
        words = in_title or (small and _BLOCK_WORDS.search(visible_text(body)))
        if words:
            edge = " (Azure Front Door)" if "x-azure-ref" in headers else ""
            return f"403 with a block page{edge}: '{title if in_title else words.group(0)}'"
    return None


# --- where a redirect lands -----------------------------------------------------------

_LOGIN_SEGMENTS = frozenset(
    {"login", "log-in", "signin", "sign-in", "sign_in", "logon", "auth", "authwall", "sso"}
    | {"authenticate", "accounts", "oauth", "authorize"}
)
_LOGIN_HOSTS = ("accounts.", "login.", "signin.", "auth.", "sso.")
_RETURN_KEYS = frozenset(
    {"next", "return_to", "returnto", "returnuri", "returnurl", "return_url", "redirect_uri"}
    | {"continue", "service", "redirect_to", "came_from"}
)
_GEO_LABELS = frozenset({"eu", "gdpr", "uk", "europe", "intl", "international"})


def consent_wall(target: str) -> bool:
    parts = urlsplit(target)
    host = (parts.hostname or "").lower()
    segments = [s.lower() for s in path_segments(parts.path)]
    return host.startswith("consent.") or "consent" in segments or "cookie-consent" in segments


def login_wall(target: str) -> bool:
    parts = urlsplit(target)
    host = (parts.hostname or "").lower()
    if host.startswith(_LOGIN_HOSTS):
        return True
    if any(s.lower() in _LOGIN_SEGMENTS for s in path_segments(parts.path)):
        return True
    return any(k.lower() in _RETURN_KEYS and "/" in v for k, v in parse_qsl(parts.query) if v)


def geo_edition(source: str, target: str) -> str | None:
    """The regional host a redirect went to (www.example.com -> eu.example.com), or None."""
    src = site_of(urlsplit(source).hostname or "")
    dst = (urlsplit(target).hostname or "").lower()
    label, _, rest = dst.partition(".")
    return dst if label in _GEO_LABELS and rest == src else None
