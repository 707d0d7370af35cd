"""Issue 16, as pure logic: landers by phrase and by shape, replacement against the
reference, confirmation over checks. Our own small pages pin every rule; the real landers
and signatures of ../shared are read where they are."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from catalog.metadata.identity import K, containment, page_identity, sketch
from catalog.verdicts import CheckRecord, status_from_history
from catalog.vocabulary import LinkStatus
from crawler.items import CheckItem
from pipelines.changed import judge, replaced
from pipelines.landers import LISTING, lander
from tests import landerpages as pages
from tests.conftest import needs_shared, shared_path

URL = "https://ringnotes.example/posts/consistent-hashing"
PARKED_DIR = ("corpora", "responses", "parked")


def ident(markup: str, url: str = URL):  # type: ignore[no-untyped-def]
    return page_identity(markup, url)


@pytest.mark.parametrize("name", sorted(pages.LANDERS))
def test_each_lander_of_ours_is_caught_on_a_first_check(name: str) -> None:
    assert lander(ident(pages.LANDERS[name]), URL) is not None, name


@pytest.mark.parametrize("name", sorted(pages.EDITS))
def test_ordinary_edits_are_neither_landers_nor_replacements(name: str) -> None:
    before, after = pages.EDITS[name]
    ref, now = ident(before), ident(after)
    assert lander(now, URL, reference=ref) is None
    assert replaced(ref, now) is None


def test_another_site_and_another_post_are_replacements() -> None:
    ref = ident(pages.article())
    moved = replaced(ref, ident(pages.OTHER_SITE))
    assert moved is not None and "site name, language and host" in moved.reason
    other = replaced(ref, ident(pages.SAME_SITE_OTHER_POST))
    assert other is not None and "no longer resemble" in other.reason


def test_a_title_without_telling_words_leaves_the_text_to_decide() -> None:
    home = pages.article(title="Home")
    ref = ident(home)
    other = replaced(ref, ident(pages.article(title="Welcome", text=pages.OTHER_SITE)))
    assert other is not None and "shares 0%" in other.reason
    # The same title over a text that changed whole (a front page's posts rotate): the same.
    assert replaced(ref, ident(pages.article(title="Home", text=pages.OTHER_SITE))) is None
    # A short main text is sketched from the whole visible text.
    tiny = ident(pages.article(text="Two words."))
    assert tiny.words > 12  # the main text has 2 words; the page around it more


def test_a_long_article_about_parking_is_no_lander() -> None:
    assert lander(ident(pages.ABOUT_PARKING), URL) is None


def test_a_listing_is_a_lander_only_where_the_link_was_not_a_listing() -> None:
    listing = ident(pages.INDEX_OF, "https://files.example/pub/")
    assert lander(listing, "https://files.example/pub/") is None  # the list links a directory
    found = lander(listing, URL, reference=ident(pages.article()))
    assert found is not None and found.what == LISTING
    assert lander(listing, "https://files.example/pub/", reference=listing) is None


def test_a_site_move_needs_all_three_to_change() -> None:
    ref = ident(pages.article())
    renamed = ident(pages.article(site="Ring Notes Weekly", canonical="https://rn.example/p"))
    assert replaced(ref, renamed) is None  # name and host changed, language did not


def test_containment_of_sketches() -> None:
    whole, _ = sketch(pages.ARTICLE_TEXT * 20 + " end of the long text")
    part, _ = sketch(pages.ARTICLE_TEXT[: len(pages.ARTICLE_TEXT) // 2])
    other, _ = sketch(pages.OTHER_SITE)
    assert len(whole) == K * 8
    assert containment(whole, part) >= 0.9
    assert containment(whole, other) == 0.0


def test_judge_turns_outcomes_and_needs_no_reference_for_landers() -> None:
    item = CheckItem(link_id=1, url=URL)
    kind, reason = judge(item, ident(pages.FOR_SALE)) or (None, "")
    assert kind == "parked" and "for sale" in reason.lower()
    assert judge(item, ident(pages.OTHER_SITE)) is None  # no reference: nothing to compare
    item.reference = ident(pages.article()).fields()
    assert judge(item, ident(pages.OTHER_SITE)) == (
        "replaced",
        replaced(ident(pages.article()), ident(pages.OTHER_SITE)).reason,  # type: ignore[union-attr]
    )


def test_a_change_is_suspect_at_once_and_confirmed_as_a_failure_would_be() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    history = [CheckRecord(t0, "ok"), CheckRecord(t0 + timedelta(days=1), "parked")]
    once = status_from_history(history, now=t0 + timedelta(days=1))
    assert once.status == LinkStatus.SUSPECT and not once.confirmed
    assert once.changed_since == t0 + timedelta(days=1)
    history += [
        CheckRecord(t0 + timedelta(days=1, hours=5), "transient"),  # neither resets nor counts
        CheckRecord(t0 + timedelta(days=2), "parked"),
    ]
    twice = status_from_history(history, now=t0 + timedelta(days=2))
    assert twice.status == LinkStatus.SUSPECT and twice.confirmed
    assert twice.changed_since == t0 + timedelta(days=1)
    history.append(CheckRecord(t0 + timedelta(days=3), "ok"))
    assert status_from_history(history, now=t0 + timedelta(days=3)).status == LinkStatus.OK


# --- the real landers and the providers' signatures (../shared) --------------------------


@needs_shared(*PARKED_DIR)
def test_every_real_lander_is_caught() -> None:
    folder = shared_path(*PARKED_DIR)
    names = sorted(p.name for p in folder.glob("*.html"))
    assert len(names) >= 11
    missed = [n for n in names if lander(ident((folder / n).read_bytes()), URL) is None]
    assert missed == []


def _literal(pattern: str) -> str | None:
    """The text a simple signature regex matches (``\\s+`` a space, ``\\.`` a dot), or None
    when it is not simple."""
    text = pattern.strip("^$")
    text = re.sub(r"\\s[+*]|\[\\s\]\+|\\ ", " ", text)
    text = re.sub(r"\\([.?!&<>/-])", r"\1", text)
    return None if re.search(r"[\\\[\](){}|*+?]", text) else text


@needs_shared(*PARKED_DIR, "signatures.json")
def test_signature_phrases_on_a_small_page_are_caught() -> None:
    """Each signature that is a phrase (not a provider's URL or markup) is put on a small
    page, as its kind's pages show it: our generic rules must catch most of them."""
    data = json.loads(shared_path(*PARKED_DIR, "signatures.json").read_text())
    phrases: list[tuple[str, str]] = []
    for entry in data["signatures"]:
        if entry["kind"] not in (
            "parked",
            "server_default_page",
            "default_or_placeholder_page",
            "directory_listing",
            "hosting_suspended",
        ):
            continue
        for match in entry["match"]:
            text = _literal(match)
            # A phrase: two words or more, no markup, no URL (those name a provider).
            phrase = text and not re.search(r"[<>=\"'/_]|\.\w{2,3}\b|\w\.\w", text)
            if phrase and len(text.split()) >= 2:
                phrases.append((entry["kind"], text))
    assert len(phrases) >= 20
    caught = 0
    for _kind, text in phrases:
        page = f"<html><head><title>{text}</title></head><body><p>{text}</p></body></html>"
        caught += lander(ident(page), URL) is not None
    print(f"signature phrases caught: {caught}/{len(phrases)}")
    assert caught / len(phrases) >= 0.8


# Our own wording of each phrase rule (the signature corpus test reads others' strings).
PHRASE_PAGES = [
    ("Welcome", "This site is parked free of charge."),
    ("example.org", "The sponsored listings displayed above are provided by others."),
    ("example.org", "Please contact the domain owner for details."),
    ("Registered & Protected by Example Brand Services", ""),
    ("IIS Windows Server", ""),
    ("Control Panel Default Page", ""),
    ("Under Construction", ""),
    ("Oops", "This hosting account has been suspended."),
    ("Ups", "Cuenta suspendida."),
    ("example.de", "Diese Domain steht zum Verkauf."),
    ("example.es", "Este dominio está en venta."),
    ("example.fr", "Ce domaine est à vendre."),
    ("example.es", "Página de parking de example.es"),
    ("example.org", "The owner currently does not have an active website here."),
    ("Soon", "Future home of something quite cool."),
    ("example.org", "Buy or lease this domain name today."),
    ("example.org", "You have successfully registered your domain example.org."),
]


@pytest.mark.parametrize(("title", "body"), PHRASE_PAGES)
def test_each_phrase_rule_in_our_own_words(title: str, body: str) -> None:
    page = f"<html><head><title>{title}</title></head><body><p>{body}</p></body></html>"
    assert lander(ident(page), URL) is not None


@pytest.mark.parametrize(
    "head",
    [
        '<iframe src="/park/frame.html"></iframe>',
        '<meta http-equiv="refresh" content="0;url=/lander">',
        '<script src="/js/domain-sale.js"></script>',
    ],
)
def test_a_tiny_page_loading_a_parking_resource(head: str) -> None:
    page = f"<html><head><title>x</title>{head}</head><body>Loading</body></html>"
    assert lander(ident(page), URL) is not None
    long = "<p>" + "An ordinary paragraph of an article about queues. " * 60 + "</p>"
    assert lander(ident(page.replace("Loading", long)), URL) is None


def test_a_hostile_page_is_read_in_bounded_time() -> None:
    words = " ".join(f"domain{i % 97} parked{i % 13}" for i in range(120_000))
    page = f"<html><head><title>{'park ' * 5000}</title></head><body><p>{words}</p></body></html>"
    found = ident(page)
    assert found.words == 20_000  # sketched words are capped
    assert lander(found, URL) is None  # long: no phrase rule applies to its text


def test_a_page_identity_keeps_its_resources_as_written_and_skips_empty_ones() -> None:
    page = (
        "<html><head><link rel='stylesheet' href=''><link rel='stylesheet' href=' /s.css '>"
        "<script src=''></script><script src='/app.js'></script></head>"
        "<body><iframe src='https://player.example/v/1'></iframe><p>Text.</p></body></html>"
    )
    identity = page_identity(page, "https://site.example/a")
    assert identity.resources == (
        ("script", "/app.js"),
        ("iframe", "https://player.example/v/1"),
        ("link", "/s.css"),
    )
