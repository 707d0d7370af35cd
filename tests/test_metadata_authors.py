"""catalog.metadata authors: one test per rule of the author extraction (hand-written pages)."""

from __future__ import annotations

from catalog.metadata import extract
from catalog.metadata.text import clean_author

URL = "https://news.example.org/2022/05/06/harbour-lights/"


def page(head: str = "", body: str = "") -> str:
    return f'<!DOCTYPE html><html lang="en"><head>{head}</head><body>{body}</body></html>'


def meta(name: str, content: str) -> str:
    return f'<meta name="{name}" content="{content}">'


def prop(name: str, content: str) -> str:
    return f'<meta property="{name}" content="{content}">'


# --- the site's own name ----------------------------------------------------------------


def test_owner_of_a_site_named_after_them_is_the_author() -> None:
    head = prop("og:site_name", "Jane Roeberg's Notebook") + meta("author", "Jane Roeberg")
    url = "https://roeberg.example/2020/01/kites/"
    assert extract(page(head), url).authors == ["Jane Roeberg"]


def test_site_name_alone_is_still_no_author() -> None:
    head = prop("og:site_name", "Harbour Courier") + meta("author", "Harbour Courier")
    assert extract(page(head), "https://harbourcourier.example/a/").authors == []
    # part of the site's name, but no possessive: the publisher, not an owner
    head = prop("og:site_name", "The Harbour Courier Group") + meta("author", "Harbour Courier")
    assert extract(page(head), "https://harbourcourier.example/a/").authors == []


def test_agency_credit_naming_the_site_is_kept() -> None:
    head = prop("og:site_name", "Harbour Courier") + prop("article:author", "AP/Harbour Courier")
    url = "https://harbourcourier.example/a/"
    assert extract(page(head), url).authors == ["AP/Harbour Courier"]


# --- clean_author -----------------------------------------------------------------------


def test_social_handle_is_no_name() -> None:
    head = prop("article:author", "@HarbourNews")
    body = '<p class="byline">By Lena Fischer</p>'
    assert clean_author("@HarbourNews") is None
    assert extract(page(head, body), URL).authors == ["Lena Fischer"]


def test_a_date_left_in_the_author_field_is_no_name() -> None:
    assert clean_author("May 2021") is None
    assert clean_author("Ann Lee 2021") is None  # which of them is a name: none
    assert clean_author("Ann Lee") == "Ann Lee"


def test_byline_word_after_punctuation_is_stripped() -> None:
    assert clean_author(",  par  Odile Marchand") == "Odile Marchand"


def test_name_glued_to_itself_is_written_once() -> None:
    assert clean_author("Tomas BergTomas Berg") == "Tomas Berg"
    assert clean_author("Tomas Berg Tomas Berg") == "Tomas Berg"


def test_date_between_verb_and_name() -> None:
    assert clean_author("Posted on March 3, 2021 by Ines Kahl") == "Ines Kahl"


def test_role_after_a_dash_is_dropped() -> None:
    assert clean_author("Rui Costa - Payments team") == "Rui Costa"
    assert clean_author("Rui Costa - Lisbon") == "Rui Costa - Lisbon"


def test_list_of_names_may_exceed_the_word_limit() -> None:
    names = "Ann Lee, Bo Ek, Cy Li, Dora Wu and Eli Marsh"
    assert clean_author(names) == names
    assert clean_author("Ann Lee Bo Ek Cy Li Dora Wu Eli Marsh") is None


def test_editor_credit_is_no_author() -> None:
    assert clean_author("Second Edition Edited by Mara Stone") is None


def test_other_credits_after_the_writer_are_cut() -> None:
    assert clean_author("Ines Kahl, photos by Rui Costa") == "Ines Kahl"
    body = "<p><em>Text von Jonas Keller Illustration von Mia Roth</em></p>"
    assert extract(page(body=body), URL).authors == ["Jonas Keller"]


def test_sentence_case_phrase_is_no_name() -> None:
    assert clean_author("Voir mon profil complet") is None
    assert clean_author("View my complete profile") is None
    assert clean_author("anna weber") == "anna weber"
    assert clean_author("Jean de la Fontaine") == "Jean de la Fontaine"


def test_byline_verbs_in_other_languages() -> None:
    assert clean_author("Publié par Odile Marchand") == "Odile Marchand"
    assert clean_author("Publicado por Rosa Gil") == "Rosa Gil"


# --- metadata ---------------------------------------------------------------------------


def test_cxense_author_meta() -> None:
    head = prop("cXenseParse:author", "Lena Fischer")
    body = '<div class="teaser"><span class="author">Von Paul Berg</span></div>'
    assert extract(page(head, body), URL).authors == ["Lena Fischer"]


# --- the visible page -------------------------------------------------------------------


def test_hidden_rel_author_link_is_skipped() -> None:
    body = (
        '<p class="post-author">Posted by Ines Kahl</p>'
        '<a href="https://profiles.example/1" rel="author" style="display: none">Harbour Group</a>'
    )
    assert extract(page(body=body), URL).authors == ["Ines Kahl"]


def test_byline_box_with_layout_divs() -> None:
    body = (
        '<div class="author-box"><div class="avatar"></div>'
        '<div class="inner"><span>Jonas Keller</span></div></div>'
    )
    assert extract(page(body=body), URL).authors == ["Jonas Keller"]


def test_written_by_in_italics() -> None:
    body = '<p><em>Written by: <a href="/people/odile">Odile Marchand</a></em></p><p>Text.</p>'
    assert extract(page(body=body), URL).authors == ["Odile Marchand"]


def test_byline_word_then_the_name_in_the_next_element() -> None:
    body = '<h1>Harbour lights</h1><span class="sr-only">| By </span> <span>Rosa Gil</span>'
    assert extract(page(body=body), URL).authors == ["Rosa Gil"]


def test_one_word_name_after_an_explicit_verb() -> None:
    assert extract(page(body="<span>Posted by Tiberius</span>"), URL).authors == ["Tiberius"]
    assert extract(page(body="<span>by Tiberius</span>"), URL).authors == []
    body = '<span>Geschrieben von <a href="/u/7">Quirin</a></span> <span>am 3.5.2015</span>'
    assert extract(page(body=body), URL).authors == ["Quirin"]


def test_bylines_beside_the_article_are_teasers() -> None:
    body = (
        "<article><h1>Harbour lights</h1><p>Text.</p></article>"
        '<aside><h2>More</h2><span class="entry-author">Paul Berg</span></aside>'
        '<nav><a href="/about">Author: Mia Roth</a></nav>'
    )
    assert extract(page(body=body), URL).authors == []


def test_single_date_line_ending_in_a_name() -> None:
    body = "<h1>Harbour lights</h1><small>12.04.2022 | 09:15 Uhr | Lena Fischer</small><p>x</p>"
    assert extract(page(body=body), URL).authors == ["Lena Fischer"]
    listing = "<p>10.05.2022 - Paul Berg</p><p>11.05.2022 - Mia Roth</p>"  # an event list
    assert extract(page(body=listing), URL).authors == []


def test_dashes_before_the_byline_word() -> None:
    body = "<h1>Kites</h1><p><strong><em>---- by Odile Marchand</em></strong></p><p>Text.</p>"
    assert extract(page(body=body), URL).authors == ["Odile Marchand"]


def test_date_line_then_von_and_one_word() -> None:
    body = "<h2>Leute <span>12.04.2022 13:30 von Quirin </span></h2><p>Text.</p>"
    assert extract(page(body=body), URL).authors == ["Quirin"]
    body = "<h2>Leute <span>12.04.2022 13:30 | Quirin </span></h2><p>Text.</p>"
    assert extract(page(body=body), URL).authors == []


def test_site_name_declared_a_person_in_jsonld_is_the_author() -> None:
    graph = (
        '{"@context": "https://schema.org", "@graph": ['
        '{"@type": "Person", "@id": "#me", "name": "Jane Roeberg"},'
        '{"@type": "BlogPosting", "headline": "Kites", "author": {"@id": "#me"}}]}'
    )
    head = (
        prop("og:site_name", "Jane Roeberg")
        + f'<script type="application/ld+json">{graph}</script>'
    )
    url = "https://janeroeberg.example/2020/01/kites/"
    assert extract(page(head), url).authors == ["Jane Roeberg"]
    inline = '{"@type": "BlogPosting", "author": {"@type": "Person", "name": "Jane Roeberg"}}'
    head = (
        prop("og:site_name", "Jane Roeberg")
        + f'<script type="application/ld+json">{inline}</script>'
    )
    assert extract(page(head), url).authors == []


def test_signature_closing_the_article() -> None:
    body = (
        "<article><h1>Kites</h1><p>The wind rose early.</p>"
        "<p><b><i>Tomas Berg</i></b></p></article><footer><p>Imprint</p></footer>"
    )
    assert extract(page(body=body), URL).authors == ["Tomas Berg"]
    # the same name with a paragraph after it is a heading or a quote, not a signature
    body = "<article><p>Intro.</p><p><b>Tomas Berg</b></p><p>He said no.</p></article>"
    assert extract(page(body=body), URL).authors == []


def test_signature_set_flush_right() -> None:
    body = (
        "<div><p>The wind rose early.</p>"
        '<p align="right"><em><font size="2">Tomas Berg</font></em></p>'
        "<p>(1) A footnote.</p></div>"
    )
    assert extract(page(body=body), URL).authors == ["Tomas Berg"]


def test_signature_over_a_date() -> None:
    body = "<article><p>Thanks for reading.</p><p>Quirin<br>3 May 2020</p></article>"
    assert extract(page(body=body), URL).authors == ["Quirin"]
    body = "<article><p>Thanks for reading.</p><p>Quirin<br>see you</p></article>"
    assert extract(page(body=body), URL).authors == []


def test_several_signatures_are_a_list() -> None:
    body = (
        "<div><p>First letter.</p><p><i>Tomas Berg</i></p></div>"
        "<div><p>Second letter.</p><p><i>Lena Fischer</i></p></div>"
    )
    assert extract(page(body=body), URL).authors == []


def test_copyright_holder_of_a_site_named_after_them() -> None:
    body = '<p>Text.</p><div id="footer"><p>Copyright (c) 2011- Tomas Berg. Rights.</p></div>'
    assert extract(page(body=body), "https://tomasberg.example/blog/kites").authors == [
        "Tomas Berg"
    ]
    assert extract(page(body=body), URL).authors == []
    company = "<p>Text.</p><footer><p>© 2020 Harbour Media Group Ltd</p></footer>"
    url = "https://harbourmediagroup.example/a"
    assert extract(page(body=company), url).authors == []


def test_drupal_submitted_line_is_a_fallback() -> None:
    submitted = (
        '<p class="submitted">Gespeichert von <span class="username">quirin</span>'
        " am 3. Mai 2020 - 18:55</p>"
    )
    assert extract(page(body=submitted + "<p>Text.</p>"), URL).authors == ["quirin"]
    credited = submitted + "<p>By Lena Fischer</p>"
    assert extract(page(body=credited), URL).authors == ["Lena Fischer"]


def test_rel_author_link_naming_the_site_is_kept() -> None:
    head = prop("og:site_name", "Harbour Courier")
    body = '<p>By <a rel="author" href="/about">Harbour Courier</a></p>'
    url = "https://harbourcourier.example/a/"
    assert extract(page(head, body), url).authors == ["Harbour Courier"]


def test_button_labels_in_title_case_are_no_names() -> None:
    assert clean_author("Read More") is None
    assert clean_author("Share This Article") is None
    assert clean_author("Thomas More") == "Thomas More"  # one such word may be a surname
    body = "<article><p>Kites fly.</p><p><b>Read More Here</b></p></article>"
    assert extract(page("", body), URL).authors == []
