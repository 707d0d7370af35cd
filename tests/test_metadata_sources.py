"""catalog.metadata.sources: what each source of a page (links, JSON-LD, microdata, the
byline) offers, on hand-written pages."""

from __future__ import annotations

from lxml import html as lxml_html

from catalog.metadata.sources import Candidates, collect


def found(page: str) -> Candidates:
    return collect(lxml_html.document_fromstring(page))


def test_link_elements() -> None:
    got = found(
        "<html><head>"
        '<link rel="canonical" href="  ">'
        '<link rel="Canonical" href="https://s.example/a">'
        '<link rel="alternate" type="application/rss+xml; charset=utf-8" href="/feed.xml">'
        '<link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/1">'
        '<link rel="alternate" type="application/json" href="/oembed?url=x" title="Feed">'
        '<link rel="alternate" type="application/json" href="/feed.json">'
        '<link rel="alternate" type="application/json" href="/items" title="Site feed">'
        '<link rel="image_src" href="/cover.png">'
        '<link rel="author" href="/ada" title="Ada Lovelace">'
        '<link rel="author" href="/nobody">'
        "</head><body></body></html>"
    )
    assert got["canonical"] == [("page", "https://s.example/a")]
    assert got["feeds"] == [("page", "/feed.xml"), ("page", "/feed.json"), ("page", "/items")]
    assert got["image"] == [("page", "/cover.png")]
    assert got["authors"] == [("page", "Ada Lovelace")]


def test_json_ld_publisher_and_site_nodes() -> None:
    got = found(
        "<html><head>"
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "NewsArticle", "headline": "Harbour lights", "publisher": {"@id": "#org"},'
        ' "datePublished": "2022-05-06"},'
        '{"@type": "Organization", "@id": "#org", "name": "Harbour Courier"},'
        '{"@type": "WebSite", "url": "https://s.example/"}]}</script>'
        "</head><body></body></html>"
    )
    assert got["title"] == [("jsonld", "Harbour lights")]
    assert ("jsonld-publisher", "Harbour Courier") in got["site_name"]
    assert ("jsonld-org", "Harbour Courier") in got["site_name"]
    assert not any(source == "jsonld-site" for source, _ in got["site_name"])  # no name


def test_microdata_outside_meta_elements() -> None:
    got = found(
        "<html><body><article itemscope itemtype='https://schema.org/BlogPosting'>"
        "<h1 itemprop='headline'>Kites in winter</h1>"
        "<time itemprop='datePublished' datetime='2020-01-05'>5 January</time>"
        "<span itemprop='dateModified' content='2020-02-01'>later</span>"
        "<span itemprop='author' itemscope><span itemprop='name'>Jane Roeberg</span></span>"
        "<span itemprop='creator' itemscope><meta itemprop='name' content='Bo Lind'></span>"
        "<span itemprop='author'>Cy Twombly</span>"
        "<p itemprop='description'>  </p>"
        "<span itemprop='keywords'>kites</span>"
        "<meta itemprop='datePublished' content='2020-01-04'>"
        "<meta itemprop='headline' content='a meta of another field'>"  # <meta>: read as meta
        "</article>"
        "<section class='comments'><span itemprop='author'>A Commenter</span></section>"
        "</body></html>"
    )
    assert ("microdata", "Kites in winter") in got["title"]
    assert ("microdata", "a meta of another field") not in got["title"]
    assert ("microdata", "2020-01-05") in got["published"]
    assert ("microdata", "2020-01-04") in got["published"]
    assert got["modified"] == [("microdata", "2020-02-01")]
    authors = [name for source, name in got["authors"] if source == "microdata"]
    assert authors == ["Jane Roeberg", "Bo Lind", "Cy Twombly"]
    assert "description" not in got or got["description"] == []


def test_page_headings_base_and_times() -> None:
    got = found(
        "<html lang='en'><head><title> </title><base target='_top'>"
        "<base href='https://cdn.example/'></head><body>"
        "<h1> </h1><h1>Title</h1><h2>Part</h2>"
        "<time>no datetime</time><time datetime='2021-03-04'>4 March</time>"
        "</body></html>"
    )
    assert got["h1"] == [("page", "Title")] and got["h2"] == [("page", "Part")]
    assert got["base"] == [("page", "https://cdn.example/")]
    assert got["published"] == [("page-anytime", "2021-03-04")]
    assert got["title"] == []


def test_json_ld_comments_lists_and_names() -> None:
    script = (
        "[[{ // a CMS's comment\n"
        '"@type": "Article", /* a block comment */ "headline": ["", "Say \\"cheese\\" // not a'
        ' comment"], "inLanguage": "en-GB", "description": {"@type": "Text"},'
        ' "image": [{"caption": "none"}, {"contentUrl": "https://s.example/i.png"}],'
        ' "author": [{"@type": "Person", "givenName": "Ada", "familyName": "Lovelace"},'
        ' {"@type": "Person", "url": "https://s.example/anon"}, " Bo Lind "]}]]'
    )
    got = found(
        f'<html><head><script type="application/ld+json">{script}</script></head>'
        "<body></body></html>"
    )
    assert got["title"] == [("jsonld", 'Say "cheese" // not a comment')]
    assert got["lang"] == [("jsonld", "en-GB")]
    assert got["image"] == [("jsonld", "https://s.example/i.png")]
    assert got["authors"] == [("jsonld", "Ada Lovelace"), ("jsonld", "Bo Lind")]


def test_bylines_that_name_no_one_or_only_next_door() -> None:
    got = found(
        "<html><body><article>"
        "<p><span>By</span><a href='/ada'>Ada Lovelace</a></p>"  # the name is the next element
        "<p><span>By</span> <a href='/team'>the editors</a></p>"  # no name after the word
        "<p>04.02.2022 | Bo Lind | and more | and more</p>"  # a date line, then a list
        "<p><b>Not a signature</b></p><p>the article goes on</p>"  # not the last paragraph
        "<p><span>By</span> Cy Twombly</p>"  # the name is the word's tail
        "<p>Ada<br>a day far too long to be the date of a signature</p>"
        "</article></body></html>"
    )
    assert got["authors"] == [("page-text", "Ada Lovelace"), ("page-text", "Cy Twombly")]
