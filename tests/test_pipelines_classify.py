"""pipelines.classify: one test per rule, then the recorded real responses."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

import pytest

from catalog.vocabulary import ErrorKind, OutcomeKind
from crawler.items import BODY_SAMPLE_CHARS, CheckItem, select_headers
from pipelines.classify import HostStats, Outcome, classify, infer_error_kind
from pipelines.fingerprint import content_fingerprint, similarity, visible_text
from tests.conftest import SHARED, needs_shared, require

ARTICLE = " ".join(
    f"Paragraph {i}: consistent hashing spreads keys over nodes so that adding a node moves "
    f"only a small share of keys; virtual node {i} smooths the load."
    for i in range(40)
)


def page(title: str, text: str) -> str:
    return f"<html><head><title>{title}</title></head><body><p>{text}</p></body></html>"


def item(status: int | None = 200, **kw: Any) -> CheckItem:
    kw.setdefault("url", "https://blog.example.com/2020/05/consistent-hashing")
    return CheckItem(link_id=1, http_status=status, **kw)


def kind(status: int | None = 200, **kw: Any) -> OutcomeKind:
    return classify(item(status, **kw)).kind


# --- plain statuses and errors --------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
def test_404_and_410_are_permanent(status: int) -> None:
    outcome = classify(item(status))
    assert outcome.kind == "permanent"
    assert outcome.reason.startswith(str(status))


def test_nxdomain_is_permanent_but_a_resolver_timeout_is_not() -> None:
    nx = classify(item(None, error="DNSLookupError: no results for hostname lookup"))
    assert nx.kind == "permanent" and "no such host" in nx.reason
    slow = classify(item(None, error="DNSLookupError: DNS lookup timed out"))
    assert slow.kind == "transient"
    assert classify(item(None, error="anything", error_kind=ErrorKind.DNS)).kind == "permanent"


@pytest.mark.parametrize(
    "error",
    [
        "TimeoutError: Getting https://x took longer than 30 seconds",
        "TCPTimedOutError",
        "ConnectionRefusedError: Connection was refused by other side",
        "ConnectionLost: Connection to the other side was lost",
        "ResponseNeverReceived",
        "SSLError: handshake failure",
        "redirect loop",
    ],
)
def test_network_errors_are_transient(error: str) -> None:
    assert kind(None, error=error) == "transient"


def test_certificate_errors_are_transient_with_their_own_reason() -> None:
    expired = classify(item(None, error="SSLError: certificate has expired"))
    assert expired.kind == "transient" and "certificate has expired" in expired.reason
    wrong = classify(item(None, error="SSLError: hostname mismatch, certificate is not valid"))
    assert wrong.kind == "transient" and "another host" in wrong.reason
    assert infer_error_kind("SSLError: certificate has expired") == ErrorKind.CERTIFICATE


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 408])
def test_5xx_and_429_are_transient(status: int) -> None:
    assert kind(status) == "transient"


def test_excluded_items_are_excluded() -> None:
    outcome = classify(
        item(
            None, error="excluded: resolves to a private address (127.0.0.1)", error_kind="excluded"
        )
    )
    assert outcome == Outcome(
        OutcomeKind.EXCLUDED, "excluded: resolves to a private address (127.0.0.1)"
    )


def test_304_not_modified_is_ok() -> None:
    assert kind(304, not_modified=True) == "ok"
    assert kind(304) == "ok"


def test_accepted_statuses_are_ok() -> None:
    assert classify(item(403), accepted_statuses={403}).kind == "ok"
    assert classify(item(999), accepted_statuses=frozenset({999})).kind == "ok"
    assert classify(item(404), accepted_statuses={403}).kind == "permanent"


def test_head_failure_counts_only_once_a_get_confirms_it() -> None:
    outcome = classify(item(404, method="HEAD"))
    assert outcome.kind == "transient" and "GET" in outcome.reason
    assert kind(404, method="GET") == "permanent"


def test_401_is_suspect() -> None:
    assert kind(401) == "suspect"


# --- bot walls ------------------------------------------------------------------------


def test_999_is_blocked() -> None:
    assert kind(999) == "blocked"
    assert kind(999, method="HEAD") == "blocked"


def test_cloudflare_challenge_header_is_blocked() -> None:
    outcome = classify(item(403, headers={"cf-mitigated": "challenge", "server": "cloudflare"}))
    assert outcome.kind == "blocked"
    assert outcome.reason == "Cloudflare challenge (cf-mitigated: challenge)"


def test_cloudflare_challenge_markup_is_blocked_but_a_cloudflare_404_is_not() -> None:
    body = page("Just a moment...", '<form id="challenge-form" action="/?__cf_chl_jschl_tk__=x">')
    assert kind(503, headers={"server": "cloudflare"}, body_sample=body) == "blocked"
    assert kind(404, headers={"server": "cloudflare"}, body_sample=page("Oops", "")) == (
        "permanent"
    )
    # A real 503 behind Cloudflare, without challenge markup, is an outage.
    assert kind(503, headers={"server": "cloudflare"}, body_sample=page("Down", "")) == (
        "transient"
    )


def test_other_vendor_walls_are_blocked() -> None:
    incapsula = '<script src="/_Incapsula_Resource?SWJIYLWA=5074a7"></script>'
    assert kind(200, body_sample=f"<html><head>{incapsula}</head><body></body></html>") == (
        "blocked"
    )
    assert kind(403, headers={"x-iinfo": "3-1234-0 0NNN"}) == "blocked"
    akamai = page("Access Denied", "You don't have permission. Reference&#32;&#35;18&#46;3c9&#46;1")
    assert kind(403, body_sample=akamai) == "blocked"
    assert kind(403, headers={"x-datadome": "protected"}) == "blocked"
    assert kind(403, body_sample=page("Access denied", '<div id="px-captcha"></div>')) == (
        "blocked"
    )
    assert kind(403, body_sample=page("Unsupported browser", "Please upgrade")) == "blocked"


def test_incapsula_script_on_a_real_article_is_not_a_wall() -> None:
    body = page("Consistent hashing", '<script src="/_Incapsula_Resource?x=1"></script>' + ARTICLE)
    assert kind(200, body_sample=body[:BODY_SAMPLE_CHARS]) == "ok"


# --- the ambiguous 403 ----------------------------------------------------------------

CLOUDFRONT_403 = page("ERROR: The request could not be satisfied", "403 ERROR")


def test_plain_403_on_a_host_that_serves_other_pages_looks_deleted() -> None:
    outcome = classify(item(403, body_sample=CLOUDFRONT_403), host_history=HostStats(ok=5))
    assert outcome.kind == "permanent"
    assert outcome.reason.startswith("403 while 5 other pages of this host answer 2xx")


def test_plain_403_on_a_host_that_refuses_everything_is_blocked() -> None:
    outcome = classify(item(403), host_history=HostStats(refused=4))
    assert outcome.kind == "blocked" and "refused all 4" in outcome.reason


def test_plain_403_without_host_history_is_transient_and_says_why() -> None:
    outcome = classify(item(403))
    assert outcome.kind == "transient" and "no other answers of this host" in outcome.reason
    mixed = classify(item(403), host_history=HostStats(ok=2, refused=9))
    assert mixed.kind == "transient"


def test_host_stats_buckets_each_status() -> None:
    statuses = [200, 301, 403, 999, 404, None]
    assert HostStats.from_counts((s, 1) for s in statuses) == HostStats(2, 2, 2)


# --- soft 404 -------------------------------------------------------------------------

TEMPLATE = (
    "Home Blog About Sorry, we could not find the page you were looking for. It may have "
    "moved, or the address may be mistyped. Try the search box or browse the archive of "
    "posts about distributed systems, databases and caching. Subscribe to the newsletter. "
    + " ".join(
        f"Archive {year}: {year - 2003} posts on storage, queues and consensus."
        for year in range(2010, 2025)
    )
    + " Copyright Example Blog. Privacy policy. Terms of use. Contact the editors. RSS feed."
)


def fp(text: str) -> str:
    return content_fingerprint(text)


def test_soft_404_by_probe_fingerprint() -> None:
    probe = fp(TEMPLATE + " /zq93-random-probe")
    body = fp(TEMPLATE + " /2020/05/consistent-hashing")
    outcome = classify(item(200, body_fingerprint=body, probe_fingerprint=probe))
    assert outcome.kind == "suspect"
    assert outcome.reason.startswith("soft 404: page matches this host's answer for a random path")


def test_a_real_article_differs_from_the_probe() -> None:
    outcome = classify(item(200, body_fingerprint=fp(ARTICLE), probe_fingerprint=fp(TEMPLATE)))
    assert outcome.kind == "ok"


def test_an_article_about_404_pages_stays_ok() -> None:
    text = "How to design a good 404 page. " + ARTICLE
    title = "Page not found: designing the perfect 404 page"
    body = page(title, text)[:BODY_SAMPLE_CHARS]
    assert kind(200, title=title, body_sample=body) == "ok"  # no probe, large body
    # With a probe, words never decide.
    assert (
        kind(
            200,
            title="404",
            body_sample=page("404", "x"),
            body_fingerprint=fp("x"),
            probe_fingerprint=fp(TEMPLATE),
        )
        == "ok"
    )


def test_without_a_probe_a_not_found_title_on_a_tiny_page_is_suspect() -> None:
    outcome = classify(item(200, body_sample=page("Page not found", "Nothing here.")))
    assert outcome.kind == "suspect" and "Page not found" in outcome.reason


# --- redirects ------------------------------------------------------------------------

URL = "https://blog.example.com/2020/05/consistent-hashing"


def test_redirect_to_the_home_page_is_suspect_and_never_rewritten() -> None:
    outcome = classify(
        item(
            200,
            url=URL,
            final_url="https://blog.example.com/",
            redirects=[(301, "https://blog.example.com/")],
        )
    )
    assert outcome.kind == "suspect" and outcome.rewrite_to is None
    assert outcome.reason.startswith("redirected to the site's home page")
    other_site = "https://newowner.example.net/en/"
    assert kind(200, url=URL, final_url=other_site, redirects=[(301, other_site)]) == "suspect"


@pytest.mark.parametrize(
    "target",
    [
        "https://blog.example.com/login?next=/2020/05/consistent-hashing",
        "https://blog.example.com/users/sign_in",
        "https://accounts.google.com/ServiceLogin?continue=https://x/y",
        "https://example.com/welcome?return_to=https%3A%2F%2Fblog.example.com%2Fx",
        "https://www.linkedin.com/authwall?trk=bf",
    ],
)
def test_redirect_to_a_login_page_is_suspect_and_never_rewritten(target: str) -> None:
    outcome = classify(item(200, url=URL, final_url=target, redirects=[(301, target)]))
    assert outcome.kind == "suspect" and outcome.rewrite_to is None
    assert outcome.reason.startswith("redirect to a login page")


def test_redirect_to_a_consent_wall_is_blocked_and_never_rewritten() -> None:
    target = "https://consent.youtube.com/m?continue=https%3A%2F%2Fwww.youtube.com%2Fwatch"
    outcome = classify(item(200, url=URL, final_url=target, redirects=[(302, target)]))
    assert outcome.kind == "blocked" and outcome.rewrite_to is None


def test_permanent_redirect_chain_is_a_redirect_with_its_target() -> None:
    hops = [
        (301, "https://blog.example.com/2020/05/consistent-hashing"),
        (308, "https://new.example.com/posts/consistent-hashing"),
    ]
    outcome = classify(
        item(
            200,
            url="http://blog.example.com/2020/05/consistent-hashing",
            final_url=hops[-1][1],
            redirects=hops,
        )
    )
    assert outcome.kind == "redirect"
    assert outcome.rewrite_to == "https://new.example.com/posts/consistent-hashing"


def test_rewrite_stops_at_the_first_temporary_hop_and_keeps_the_fragment() -> None:
    hops = [(301, "https://blog.example.com/a"), (302, "https://blog.example.com/a?session=1")]
    outcome = classify(
        item(
            200,
            url="http://blog.example.com/a",
            final_url=hops[-1][1],
            redirects=hops,
            fragment="intro",
            fragment_found=True,
        )
    )
    assert outcome.kind == "redirect"
    assert outcome.rewrite_to == "https://blog.example.com/a#intro"


@pytest.mark.parametrize("status", [302, 303, 307])
def test_temporary_redirects_ending_in_200_are_ok(status: int) -> None:
    target = "https://cdn.example.com/files/paper.pdf"
    outcome = classify(item(200, url=URL, final_url=target, redirects=[(status, target)]))
    assert outcome.kind == "ok" and outcome.rewrite_to is None


def test_unfollowed_permanent_redirect_is_a_redirect_to_its_location() -> None:
    outcome = classify(item(301, headers={"location": "/2021/consistent-hashing"}))
    assert outcome.kind == "redirect"
    assert outcome.rewrite_to == "https://blog.example.com/2021/consistent-hashing"


# --- fragments ------------------------------------------------------------------------


def test_missing_fragment_is_suspect_never_worse_never_better() -> None:
    outcome = classify(item(200, fragment="install", fragment_found=False))
    assert outcome == Outcome(OutcomeKind.SUSPECT, "missing #install")
    assert kind(200, fragment="install", fragment_found=True) == "ok"
    assert kind(404, fragment="install", fragment_found=None) == "permanent"


# --- the item and the fingerprint -----------------------------------------------------


def test_check_item_is_a_scrapy_item_and_headers_are_selected() -> None:
    from itemadapter import ItemAdapter
    from scrapy.http import Headers

    raw = Headers(
        {"Server": "cloudflare", "Set-Cookie": ["__cf_bm=abc; path=/", "a=b"], "Vary": "x"}
    )
    headers = select_headers(raw)
    assert headers == {"server": "cloudflare", "set-cookie": "__cf_bm, a"}
    adapter = ItemAdapter(item(200, headers=headers))
    assert adapter.is_item(adapter.item) and adapter["headers"]["server"] == "cloudflare"
    assert adapter["checked_at"].tzinfo is not None


def test_fingerprint_similarity() -> None:
    assert similarity(fp(ARTICLE), fp(ARTICLE)) == 1.0
    assert similarity(fp(TEMPLATE + " /a-b-c"), fp(TEMPLATE + " /x-y-z")) >= 0.9
    assert similarity(fp(ARTICLE), fp(TEMPLATE)) < 0.8
    assert visible_text("<p>a<script>b()</script> &amp; c</p>") == "a & c"


# --- the recorded real responses ------------------------------------------------------

RESPONSES = SHARED / "corpora" / "responses"

# A link checker's conclusion, as the corpus names it -> the kind of one check.
EXPECTED_KIND = {
    "dead": OutcomeKind.PERMANENT,  # one check; the history makes the link dead
    "blocked_inconclusive": OutcomeKind.BLOCKED,
    "soft_404_likely_dead": OutcomeKind.SUSPECT,
    "access_restricted": OutcomeKind.SUSPECT,  # a human reviews it; never rewritten
    "transient_retry": OutcomeKind.TRANSIENT,
    "redirect_follow": OutcomeKind.REDIRECT,
}

# Whole categories that are not link checks: other jobs' exchanges (with their count, so
# that a record added to them is noticed).
NOT_LINK_CHECKS = {
    "github_api": (18, "a GitHub REST exchange of the pr job, not a link check"),
    "wayback": (14, "a Wayback Machine API exchange, not a link check"),
}

# Link-check records where listkeeper deliberately differs, with what it says instead.
DIFFERS: dict[str, tuple[OutcomeKind, str]] = {
    "embed-photobucket-redirect-to-profile-2021": (
        OutcomeKind.OK,
        "a redirect to another page of the same site (a user profile) that is neither its "
        "home page nor a parent of the link's path is taken at its word from one response: "
        "the recorder did not keep the hop statuses, so the chain counts as temporary",
    ),
}

# Status not recorded (body only): the sources say such pages come with 403 (or 503).
ASSUMED_STATUS = 403


def load_records() -> list[dict[str, Any]]:
    index = require(RESPONSES / "index.json")
    records: list[dict[str, Any]] = json.loads(index.read_text())["records"]
    return records


def item_from_record(record: dict[str, Any]) -> CheckItem:
    request = record.get("request") or {}
    url = request.get("url") or "https://recorded.example.invalid/page"
    status = record["status"] if record["status"] is not None else ASSUMED_STATUS
    raw = (RESPONSES / record["file"]).read_bytes().decode("utf-8", errors="replace")
    # Several values of one header are one value per redirect hop: the final response's is
    # the last; Location values are the hops themselves (when the final status is not 3xx).
    headers = {k.lower(): v for k, v in (record.get("headers") or {}).items()}
    locations = [v.split()[0] for v in headers.pop("location", []) if v.split()]
    redirects: list[tuple[int, str]] = []
    final_url = None
    if 300 <= status < 400:
        if locations:
            headers["location"] = [locations[-1]]
    else:
        previous = url
        for location in locations:
            previous = urljoin(previous, location)
            redirects.append((302, previous))  # hop statuses were not recorded
        if redirects:
            final_url = record.get("final_url") or redirects[-1][1]
    return CheckItem(
        link_id=None,
        url=url,
        method=request.get("method") or "GET",
        http_status=status,
        final_url=final_url,
        redirects=redirects,
        headers=select_headers({k: v[-1:] for k, v in headers.items()}),
        body_sample=raw[:BODY_SAMPLE_CHARS],
        title=None,
        body_fingerprint=content_fingerprint(visible_text(raw)),
    )


@needs_shared()
def test_recorded_real_responses() -> None:
    records = load_records()
    matched: list[str] = []
    mismatched: list[str] = []
    differing: list[str] = []
    skipped: dict[str, int] = {}
    for record in records:
        if record["category"] in NOT_LINK_CHECKS:
            skipped[record["category"]] = skipped.get(record["category"], 0) + 1
            continue
        outcome = classify(item_from_record(record))
        if record["id"] in DIFFERS:
            assert outcome.kind == DIFFERS[record["id"]][0], (record["id"], outcome)
            differing.append(record["id"])
            continue
        expected = EXPECTED_KIND[record["expected_conclusion"]]
        if outcome.kind == expected:
            matched.append(record["id"])
        else:
            mismatched.append(f"{record['id']}: expected {expected}, got {outcome}")
    assert not mismatched, "\n".join(mismatched)
    assert skipped == {name: count for name, (count, _) in NOT_LINK_CHECKS.items()}
    assert sorted(differing) == sorted(DIFFERS)
    assert len(matched) + len(differing) + sum(skipped.values()) == len(records)


@needs_shared()
def test_recorded_soft_404_shell_is_suspect_with_a_probe() -> None:
    """The Photobucket SPA shell: the host answers the same shell for a random path."""
    record = next(r for r in load_records() if r["id"] == "embed-photobucket-soft404-2024")
    checked = item_from_record(record)
    checked.headers.pop("x-cache", None)  # without CloudFront's own "Error" marker
    assert classify(checked).kind == "ok"  # one response cannot tell
    checked.probe_fingerprint = checked.body_fingerprint  # the probe got the same shell
    outcome = classify(checked)
    assert outcome.kind == "suspect" and "similarity 1.00" in outcome.reason


@needs_shared()
def test_recorded_s3_access_denied_says_how_it_decided() -> None:
    record = next(r for r in load_records() if r["id"] == "htmlproofer-s3-accessdenied-2017")
    outcome = classify(item_from_record(record), host_history=HostStats(ok=3))
    assert outcome.kind == "permanent"
    assert "S3" in outcome.reason and "3 other objects of this host answer 2xx" in outcome.reason


def test_a_bare_404_in_a_title_is_no_soft_404_where_the_host_404s_honestly() -> None:
    body = "<html><title>Article 404 | Site 404</title><p>Short post.</p></html>"
    honest = classify(item(title="Article 404 | Site 404", body_sample=body, probe_honest=True))
    assert honest.kind == OutcomeKind.OK
    unprobed = classify(item(title="Article 404 | Site 404", body_sample=body))
    assert unprobed.kind == OutcomeKind.SUSPECT  # no probe: the strict title rule stands in
    words = "<html><title>Page not found</title><p>Sorry.</p></html>"
    gone = classify(item(title="Page not found", body_sample=words, probe_honest=True))
    assert gone.kind == OutcomeKind.SUSPECT


def test_host_stats_from_the_catalogs_counts_and_plus() -> None:
    assert HostStats.from_counts([(200, 3), (403, 2), (None, 1), (404, 4)]) == HostStats(3, 2, 5)
    assert HostStats(1, 0, 0).plus(999) == HostStats(1, 1, 0)
    assert HostStats().plus(None).plus(302) == HostStats(1, 0, 1)


# --- hand-made answers for the rules the recorded responses reach ---------------------


def s3_error(code: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>Access Denied</Message>"
        "<RequestId>4442587FB7D0A2F9</RequestId></Error>"
    )


def test_s3_403s_are_permanent_and_say_how_they_were_decided() -> None:
    disabled = classify(item(403, body_sample=s3_error("AllAccessDisabled")))
    assert disabled == Outcome(
        OutcomeKind.PERMANENT, "403 AllAccessDisabled: S3 has disabled this bucket"
    )
    alone = classify(item(403, body_sample=s3_error("AccessDenied")))
    assert alone.kind == "permanent" and alone.reason.startswith("403 AccessDenied from S3: ")
    among = classify(item(403, body_sample=s3_error("AccessDenied")), host_history=HostStats(ok=7))
    assert among.kind == "permanent"
    assert among.reason.startswith("403 AccessDenied from S3, while 7 other objects")


def test_a_cloudfront_origin_error_behind_a_200_is_a_soft_404() -> None:
    outcome = classify(
        item(200, headers={"x-cache": "Error from cloudfront"}, body_sample=page("Blog", ARTICLE))
    )
    assert outcome.kind == "suspect" and "CloudFront reports an origin error" in outcome.reason


def test_redirects_to_a_regional_edition_a_parent_page_or_an_error() -> None:
    geo = "https://eu.news.example/2020/05/story"
    outcome = classify(
        item(
            200, url="https://www.news.example/2020/05/story", final_url=geo, redirects=[(302, geo)]
        )
    )
    assert outcome == Outcome(
        OutcomeKind.BLOCKED, "redirect to a regional edition (eu.news.example): geo wall"
    )
    parent = "https://blog.example.com/2020/"
    outcome = classify(item(200, url=URL, final_url=parent, redirects=[(301, parent)]))
    assert outcome.kind == "suspect" and outcome.rewrite_to is None
    assert outcome.reason == "redirected to a parent page (/2020/)"
    gone = "https://blog.example.com/2021/consistent-hashing"
    outcome = classify(item(404, url=URL, final_url=gone, redirects=[(301, gone)]))
    assert outcome.kind == "permanent"  # the 404 at the end decides, not the redirect
