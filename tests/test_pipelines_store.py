"""The store pipeline's messages name URLs as the catalog keeps them ([check] unmap)."""

from __future__ import annotations

from catalog.urls import parse_rules
from pipelines.store import unmap_text

UNMAP = parse_rules([r"^(https?)://([a-z.]+\.test):\d+/ \1://\2/"], "[check] unmap")


def test_a_message_names_the_redirect_target_as_the_web_knows_it() -> None:
    fetched = ["https://a.test:4443/new", "https://a.test:4443/new/page"]
    text = "moved permanently to https://a.test:4443/new/page (via https://a.test:4443/new)"
    assert unmap_text(text, fetched, UNMAP) == (
        "moved permanently to https://a.test/new/page (via https://a.test/new)"
    )


def test_urls_the_rules_leave_alone_and_other_text_stay() -> None:
    text = "moved permanently to https://example.org:8443/x; see https://a.test:1/y"
    assert unmap_text(text, ["https://example.org:8443/x"], UNMAP) == text
    assert unmap_text(text, [], UNMAP) == text
