"""GitHub heading anchors: catalog/slugs.py."""

from __future__ import annotations

import pytest

from catalog.slugs import Slugger, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("A companies", "a-companies"),
        ("# companies", "-companies"),
        ("What's Inside", "whats-inside"),
        ("System Design Case Study", "system-design-case-study"),
        ("Individuals/Group Contributors", "individualsgroup-contributors"),
        ("snake_case and kebab-case", "snake_case-and-kebab-case"),
        ("Q&A: C++ (2024)!", "qa-c-2024"),
        ("Привет non-latin 你好", "привет-non-latin-你好"),
        ("😄 emoji", "-emoji"),
        ("foo – bar", "foo--bar"),  # the en dash goes, both spaces stay
        ("  two  spaces ", "--two--spaces-"),
        ("Café 2.0", "café-20"),
        ("", ""),
    ],
)
def test_slugify_follows_github(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_slugger_suffixes_repeats_like_github_slugger() -> None:
    slugger = Slugger()
    got = [slugger.slug(t) for t in ["Foo", "Foo", "Bar", "Foo", "foo"]]
    assert got == ["foo", "foo-1", "bar", "foo-2", "foo-3"]


def test_slugger_registers_suffixed_slugs() -> None:
    slugger = Slugger()
    # The second "Foo" takes "foo-1", so a heading literally named "Foo 1" gets "foo-1-1",
    # and a third "Foo" skips nothing it should not.
    assert [slugger.slug(t) for t in ["Foo", "Foo", "Foo 1", "Foo"]] == [
        "foo",
        "foo-1",
        "foo-1-1",
        "foo-2",
    ]


def test_slugger_literal_suffix_first() -> None:
    slugger = Slugger()
    assert [slugger.slug(t) for t in ["Foo 1", "Foo", "Foo"]] == ["foo-1", "foo", "foo-2"]


def test_slugger_reset_forgets() -> None:
    slugger = Slugger()
    slugger.slug("Foo")
    slugger.reset()
    assert slugger.slug("Foo") == "foo"
