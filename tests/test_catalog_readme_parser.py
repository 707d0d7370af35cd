"""The README parser: catalog/readme_parser.py, on small fixtures and on real lists."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.parsed import LinkRef, ParsedDocument
from catalog.readme_parser import MarkdownError, parse_markdown
from catalog.urls import classify, link_key
from catalog.vocabulary import LinkKind
from tests.conftest import SHARED, needs_shared, require, shared_path

SEED = SHARED / "seeds" / "README.md"
READMES = SHARED / "corpora" / "readmes"


def parse(text: str, **kwargs: Path) -> ParsedDocument:
    return parse_markdown(dedent(text).lstrip("\n"), **kwargs)


def urls(links: list[LinkRef]) -> list[str]:
    return [ref.url for ref in links]


# -- links: every syntax, with its line ---------------------------------------------------


def test_inline_links_lines_and_labels() -> None:
    doc = parse(
        """
        Intro [one](https://one.example.com) and
        [two *emph*](https://two.example.com "title")

        Third [`code` three](https://three.example.com).
        """
    )
    assert [(r.url, r.text, r.line, r.syntax) for r in doc.links] == [
        ("https://one.example.com", "one", 1, "inline"),
        ("https://two.example.com", "two emph", 2, "inline"),
        ("https://three.example.com", "code three", 4, "inline"),
    ]


def test_reference_links_are_resolved_and_marked() -> None:
    doc = parse(
        """
        See [full][r1], [collapsed][] and [shortcut], not [inline](https://inline.example.com).

        [r1]: https://full.example.com
        [collapsed]: <https://collapsed.example.com>
        [shortcut]: https://short.example.com "Title"
        """
    )
    assert [(r.url, r.syntax) for r in doc.links] == [
        ("https://full.example.com", "reference"),
        ("https://collapsed.example.com", "reference"),
        ("https://short.example.com", "reference"),
        ("https://inline.example.com", "inline"),
    ]
    assert {r.line for r in doc.links} == {1}


def test_autolinks_and_bare_urls() -> None:
    doc = parse(
        """
        Auto <https://auto.example.com/x> and mail <someone@example.com>.
        Bare https://bare.example.com/path, and (https://paren.example.com/a_(b)).
        Not a link: `https://code.example.com` nor https:// alone.
        """
    )
    assert [(r.url, r.syntax, r.line) for r in doc.links] == [
        ("https://auto.example.com/x", "autolink", 1),
        ("mailto:someone@example.com", "autolink", 1),
        ("https://bare.example.com/path", "bare", 2),
        ("https://paren.example.com/a_(b)", "bare", 2),
    ]
    assert classify(doc.links[1].url) is LinkKind.MAILTO


def test_bare_url_inside_a_link_label_is_not_a_second_link() -> None:
    doc = parse("[https://label.example.com](https://target.example.com)\n")
    assert urls(doc.links) == ["https://target.example.com"]


def test_code_blocks_and_spans_hold_no_links() -> None:
    doc = parse(
        """
        ```
        [fenced](https://fenced.example.com) https://fenced-bare.example.com
        <a href="https://fenced-html.example.com">x</a>
        ```

            [indented](https://indented.example.com)

        `[span](https://span.example.com)` and [real](https://real.example.com)
        """
    )
    assert urls(doc.links) == ["https://real.example.com"]
    assert doc.links[0].line == 8


def test_html_block_links_and_images_with_lines() -> None:
    doc = parse(
        """
        # Title

        <p align="center">
          <a href="https://newsletter.example.com/">
            <img src="https://i.example.com/logo.png" alt="Logo" />
          </a>
        </p>

        <p>Licensed under <a href=https://license.example.com>CC BY</a></p>
        <!-- <a href="https://commented.example.com">gone</a> -->
        """
    )
    assert [(r.url, r.text, r.line, r.syntax, r.image) for r in doc.links] == [
        ("https://newsletter.example.com/", "Logo", 4, "html", False),
        ("https://i.example.com/logo.png", "Logo", 5, "html", True),
        ("https://license.example.com", "CC BY", 9, "html", False),
    ]
    assert all(r.heading == 0 for r in doc.links)
    assert doc.items == []  # HTML blocks are not entries


def test_inline_html_link_in_a_list_item() -> None:
    doc = parse(
        """
        - <a href="https://html-item.example.com">Html item</a> - described
        - text <img src="https://i.example.com/x.png" alt="pic"> only
        """
    )
    assert [(r.url, r.syntax, r.image, r.line) for r in doc.links] == [
        ("https://html-item.example.com", "html", False, 1),
        ("https://i.example.com/x.png", "html", True, 2),
    ]
    [item] = doc.items
    assert (item.title, item.description) == ("Html item", "described")


def test_images_are_links_but_never_items() -> None:
    doc = parse(
        """
        - ![alone](https://img.example.com/a.png)
        - [![badge](https://img.example.com/b.svg)](https://badge.example.com) Badge link
        """
    )
    assert [(r.url, r.image) for r in doc.links] == [
        ("https://img.example.com/a.png", True),
        ("https://badge.example.com", False),
        ("https://img.example.com/b.svg", True),
    ]
    [item] = doc.items
    assert item.line == 2
    assert urls(item.links) == ["https://badge.example.com"]
    assert item.title == "badge"  # a label of only an image takes its alt text
    assert item.description == "Badge link"


def test_line_numbers_survive_multiline_constructs() -> None:
    doc = parse(
        """
        A [first](https://first.example.com
        "title on the next line") then `a code
        span` then ![alt
        text](https://img.example.com/i.png) then [last](https://last.example.com)
        """
    )
    assert [(r.url, r.line) for r in doc.links] == [
        ("https://first.example.com", 1),
        ("https://img.example.com/i.png", 3),
        ("https://last.example.com", 4),
    ]


def test_crlf_is_normalised() -> None:
    doc = parse_markdown(
        "# T\r\n\r\n- [a](https://a.example.com)\r\n- [b](https://b.example.com)\r\n"
    )
    assert [(r.url, r.line) for r in doc.links] == [
        ("https://a.example.com", 3),
        ("https://b.example.com", 4),
    ]
    assert doc.headings[0].text == "T"


# -- headings ----------------------------------------------------------------------------


def test_headings_text_anchor_path_and_title() -> None:
    doc = parse(
        """
        Intro

        # Conquering *System* Design

        ## What's Inside

        #### \\# companies

        #### A companies

        ## Case Studies

        ### Highlights

        ## Case Studies

        # Second Title
        """
    )
    assert [(h.text, h.level, h.line, h.anchor) for h in doc.headings] == [
        ("Conquering System Design", 1, 3, "conquering-system-design"),
        ("What's Inside", 2, 5, "whats-inside"),
        ("# companies", 4, 7, "-companies"),
        ("A companies", 4, 9, "a-companies"),
        ("Case Studies", 2, 11, "case-studies"),
        ("Highlights", 3, 13, "highlights"),
        ("Case Studies", 2, 15, "case-studies-1"),
        ("Second Title", 1, 17, "second-title"),
    ]
    assert doc.headings[3].path == ("Conquering System Design", "What's Inside", "A companies")
    assert doc.headings[5].path == ("Conquering System Design", "Case Studies", "Highlights")
    assert doc.headings[7].path == ("Second Title",)
    assert doc.title == "Conquering System Design"


def test_link_in_a_heading_counts_and_belongs_to_it() -> None:
    doc = parse(
        """
        # Top

        #### [System Design Case Study](#System-Design-Case-Study-1)

        ## System Design Case Study
        """
    )
    [ref] = doc.links
    assert (ref.url, ref.line, ref.heading) == ("#System-Design-Case-Study-1", 3, 1)
    assert doc.headings[1].text == "System Design Case Study"
    assert doc.headings[2].anchor == "system-design-case-study-1"
    assert doc.problems == []  # matched case-insensitively, as GitHub does


def test_no_heading_means_no_title() -> None:
    doc = parse("## Only level two\n\n- [a](https://a.example.com)\n")
    assert doc.title is None
    assert doc.items[0].heading == 0


# -- items --------------------------------------------------------------------------------


def test_items_title_description_and_several_links() -> None:
    doc = parse(
        """
        ## Interview

        - [Design WhatsApp](https://u1.example.com), [Part 2](https://u2.example.com)
        - [Foo](https://foo.example.com) - A library for bar.
        - [Colon](https://colon.example.com): described — with a dash inside.
        1. Start with [Beginner Path](./learning-paths/beginner.md)
        - No link here
        - [Anchor only](#interview)
        """
    )
    got = [(i.kind, i.line, i.title, i.description, urls(i.links), i.heading) for i in doc.items]
    assert got == [
        (
            "bullet",
            3,
            "Design WhatsApp",
            "",
            ["https://u1.example.com", "https://u2.example.com"],
            0,
        ),
        ("bullet", 4, "Foo", "A library for bar.", ["https://foo.example.com"], 0),
        ("bullet", 5, "Colon", "described — with a dash inside.", ["https://colon.example.com"], 0),
        ("bullet", 6, "Beginner Path", "Start with", ["./learning-paths/beginner.md"], 0),
    ]


def test_nested_lists_make_their_own_items() -> None:
    doc = parse(
        """
        - [Outer](https://outer.example.com) - outer text
          continued on a second line
          - [Inner](https://inner.example.com): inner text
            - [Deep](https://deep.example.com)
          - plain nested text without links
        - Parent without a link
          - [Child](https://child.example.com)
        """
    )
    got = [(i.line, i.end_line, i.title, i.description, urls(i.links), i.depth) for i in doc.items]
    assert got == [
        (1, 2, "Outer", "outer text continued on a second line", ["https://outer.example.com"], 0),
        (3, 3, "Inner", "inner text", ["https://inner.example.com"], 1),
        (4, 4, "Deep", "", ["https://deep.example.com"], 2),
        (7, 7, "Child", "", ["https://child.example.com"], 1),
    ]


def test_item_with_a_bare_url_takes_its_text_as_title() -> None:
    doc = parse("* 8th Light https://8thlight.com/blog/\n")
    [item] = doc.items
    assert (item.title, item.description, urls(item.links)) == (
        "8th Light",
        "",
        ["https://8thlight.com/blog/"],
    )
    assert item.links[0].syntax == "bare"


def test_table_body_rows_are_items_header_is_not() -> None:
    doc = parse(
        """
        ## Paths

        | Path | Duration | Start Here |
        |------|----------|------------|
        | [Beginner](./learning-paths/beginner.md) | 4-6 weeks | The basics |
        | Amazon Dynamo | Eventual consistency | [Read](https://dynamo.example.com) |
        | [A](https://a.example.com)<br/>[B](https://b.example.com) | | |
        | [#](#paths) | only anchors | |
        | [Header link](https://not-header.example.com) | x | y |
        """
    )
    got = [(i.kind, i.line, i.title, i.description, urls(i.links)) for i in doc.items]
    assert got == [
        ("row", 5, "Beginner", "4-6 weeks | The basics", ["./learning-paths/beginner.md"]),
        ("row", 6, "Read", "Amazon Dynamo | Eventual consistency", ["https://dynamo.example.com"]),
        ("row", 7, "A", "", ["https://a.example.com", "https://b.example.com"]),
        ("row", 9, "Header link", "x | y", ["https://not-header.example.com"]),
    ]
    assert all(i.heading == 0 and i.end_line == i.line for i in doc.items)


def test_table_header_links_are_links_but_not_items() -> None:
    doc = parse(
        """
        | [Head](https://head.example.com) | b |
        |---|---|
        | [Body](https://body.example.com) | d |
        """
    )
    assert [(r.url, r.line) for r in doc.links] == [
        ("https://head.example.com", 1),
        ("https://body.example.com", 3),
    ]
    assert [i.title for i in doc.items] == ["Body"]


# -- problems -----------------------------------------------------------------------------


def codes(doc: ParsedDocument) -> list[tuple[str, int]]:
    return [(p.code, p.line) for p in doc.problems]


def test_problem_no_scheme() -> None:
    doc = parse("- [How API Gateway Works](newsletter.systemdesign.one/p/how-api-gateway-works)\n")
    assert codes(doc) == [("no-scheme", 1)]
    assert "https://newsletter.systemdesign.one/p/how-api-gateway-works" in doc.problems[0].message


def test_problem_http_and_https_only_with_a_twin() -> None:
    doc = parse(
        """
        - [A](http://twin.example.com/a)
        - [B](https://twin.example.com/a)
        - [C](http://alone.example.com/c)
        """
    )
    assert codes(doc) == [("http-and-https", 1)]


def test_problem_duplicate_reports_the_second_with_the_first_line() -> None:
    doc = parse(
        """
        - [Netflix](https://example.com/netflix-microservices)
        - [Other](https://example.com/other)
        - [Netflix again](https://EXAMPLE.com/netflix-microservices)
        - [Same item](https://example.com/x) and [twice](https://example.com/x)
        """
    )
    assert codes(doc) == [("duplicate", 3)]
    assert "line 1" in doc.problems[0].message


def test_problem_duplicate_of_a_link_in_prose() -> None:
    doc = parse(
        """
        [Browse all case studies](./case-studies/)

        - Browse [Case Studies by Theme](./case-studies/)
        - [Docs](docs/setup.md) then [Docs again](./docs/setup.md)
        """
    )
    assert codes(doc) == [("duplicate", 3)]
    assert doc.problems[0].text == "./case-studies/" and "line 1" in doc.problems[0].message


def test_problem_mojibake_on_any_line_with_its_repair() -> None:
    doc = parse(
        """
        <p>ðŸ‘‹ hello</p>

        ```
        â”œâ”€â”€ docs/
        ```
        Cafe, naïve, McDonald’s: fine.
        """
    )
    assert codes(doc) == [("mojibake", 1), ("mojibake", 4)]
    emoji, box = doc.problems
    assert (emoji.text, emoji.fix) == ("<p>ðŸ‘‹ hello</p>", "<p>👋 hello</p>")
    assert box.fix == "├── docs/" and "code block" in box.message


def test_problem_mojibake_in_titles_and_headings() -> None:
    doc = parse(
        """
        ## Canâ€™t

        - [How McDonaldâ€™s Works](https://example.com/m)
        - [Properly curly McDonald’s](https://example.com/ok)
        - [Plain ASCII](https://example.com/a)
        """
    )
    assert codes(doc) == [("mojibake", 1), ("mojibake", 3)]
    assert "McDonald’s" in doc.problems[1].message


def test_problem_broken_anchor() -> None:
    doc = parse(
        """
        # Top

        ## A companies

        <a name="custom-anchor"></a>

        [ok](#a-companies) [case](#A-Companies) [top](#top) [hash](#) [html](#custom-anchor)
        [prefixed](#user-content-a-companies) [broken](#e-companies) [empty]()
        """
    )
    assert codes(doc) == [("broken-anchor", 8)]
    assert "#e-companies" in doc.problems[0].message


def test_problem_missing_file_only_with_base_dir(tmp_path: Path) -> None:
    (tmp_path / "present.md").write_text("x")
    (tmp_path / "dir").mkdir()
    text = """
        - [Here](./present.md#section)
        - [Dir](dir/)
        - [Gone](./learning-paths/beginner.md?plain=1)
        - ![Gone image](img/missing.png)
        """
    assert codes(parse(text)) == []
    doc = parse(text, base_dir=tmp_path)
    assert codes(doc) == [("missing-file", 3), ("missing-file", 4)]
    assert "learning-paths/beginner.md" in doc.problems[0].message


# -- robustness ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x01\x02",
        "<a href='\x01x'>y</a>\n",
        '<?xml version="1.0" encoding="utf-8"?>\n<a href="x">y</a>\n',
        "[" * 5000 + "](x)",
        "> " * 500 + "- [a](https://a.example.com)",
        "- " * 500 + "[a](https://a.example.com)",
        "| a |\n|---|\n" + "| [x](y) |\n" * 3,
        "[a](<https://unclosed.example.com)",
        "[a](https://example.com:notaport/)",
        "<img>\n<a>no href</a>\n</a>\n",
    ],
)
def test_odd_inputs_parse(text: str) -> None:
    assert isinstance(parse_markdown(text), ParsedDocument)


def test_non_string_input_is_a_markdown_error() -> None:
    with pytest.raises(MarkdownError, match="str"):
        parse_markdown(b"# bytes")  # type: ignore[arg-type]


# Markdown-ish fragments joined at random reach links, tables, HTML and lists far more
# often than arbitrary text does.
FRAGMENTS = [*"[]()<>!#*_-`|\n\r\t :/.ahx=\"'\\&;\x00", "https://", "<a href=", "</a>", "| --- |"]
MARKDOWNISH = st.lists(st.sampled_from(FRAGMENTS), max_size=120).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), MARKDOWNISH))
def test_any_text_parses_or_raises_markdown_error(text: str) -> None:
    try:
        doc = parse_markdown(text)
    except MarkdownError:
        return
    assert isinstance(doc, ParsedDocument)
    for ref in doc.links:
        assert ref.line >= 1


# -- the seed list ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> ParsedDocument:
    path = require(SEED)
    return parse_markdown(path.read_text(encoding="utf-8"), base_dir=path.parent)


@needs_shared()
def test_seed_link_counts(seed: ParsedDocument) -> None:
    kinds = Counter((classify(r.url).value, r.syntax, r.image) for r in seed.links)
    # Counted by hand in seeds/README.md (470 lines): 127 markdown links to http(s) pages,
    # 1 without a scheme (line 244), 24 relative (learning-paths/, case-studies/,
    # fundamentals/, cheatsheets/), 116 anchors (the A-Z index tables, the section
    # table, headings), and in HTML blocks 8 <a href> plus 3 <img src> (lines 7, 21, 453).
    assert kinds == {
        ("external", "inline", False): 127,
        ("no_scheme", "inline", False): 1,
        ("relative", "inline", False): 24,
        ("anchor", "inline", False): 116,
        ("external", "html", False): 8,
        ("external", "html", True): 3,
    }
    assert len(seed.links) == 279
    assert [r.line for r in seed.links if r.image] == [7, 21, 453]
    assert len(seed.headings) == 56
    assert seed.title == "Conquering System Design"
    assert len(seed.items) == 149
    # rows: 3 learning paths + 6 case-study categories + 5 fundamentals + 3 cheatsheets
    # + 2 white papers
    assert Counter(i.kind for i in seed.items) == {"bullet": 130, "row": 19}


@needs_shared()
def test_seed_entries(seed: ParsedDocument) -> None:
    by_line = {i.line: i for i in seed.items}
    whatsapp = by_line[427]
    assert (whatsapp.title, whatsapp.description) == ("Design WhatsApp", "")
    assert len(whatsapp.links) == 2
    beginner = by_line[152]
    assert (beginner.kind, beginner.title) == ("row", "Beginner")
    assert beginner.description == "4-6 weeks | New to system design | Understanding the basics"
    dynamo = by_line[341]
    assert (dynamo.title, dynamo.description) == (
        "Read",
        "Amazon Dynamo | Eventual consistency, consistent hashing",
    )
    # The A-Z index rows hold only anchors: links, never entries.
    assert not any(37 <= i.line <= 74 for i in seed.items)
    heading = seed.headings[by_line[92].heading or 0]
    assert heading.text == "A companies"
    assert heading.path == ("System Design", "System Design Case Study", "A companies")


@needs_shared()
def test_seed_hygiene(seed: ParsedDocument) -> None:
    problems = Counter(p.code for p in seed.problems)
    assert problems == {
        "broken-anchor": 77,
        "missing-file": 24,
        "duplicate": 10,  # ./case-studies/ and ./fundamentals/ again, after prose links
        "mojibake": 26,  # 2 titles, the 👋 of two HTML blocks, 22 lines of box drawing
        "no-scheme": 1,
    }
    found = {(p.code, p.line) for p in seed.problems}
    assert ("no-scheme", 244) in found
    # The http:// Google Docs link (line 132) has no https:// twin in the file, so it is
    # not an http-and-https problem (and nothing else is).
    assert "https://newsletter.systemdesign.one/p/how-does-google-docs-work" not in SEED.read_text()
    assert any(r.url.startswith("http://newsletter") and r.line == 132 for r in seed.links)
    assert "http-and-https" not in problems
    # Listed under N companies (165) and again under White Papers (334).
    netflix = [p for p in seed.problems if "netflix-microservices" in p.message]
    assert [(p.code, p.line) for p in netflix] == [("duplicate", 334)]
    assert "line 165" in netflix[0].message
    mojibake = [p for p in seed.problems if p.code == "mojibake"]
    assert [p.line for p in mojibake[:3]] == [25, 159, 225] and mojibake[-1].line == 457
    assert "McDonald’s" in mojibake[1].message and "McDonald’s" in mojibake[1].fix
    assert (mojibake[0].text, mojibake[0].fix) == ("ðŸ‘‹", "👋")
    box = [p for p in mojibake if 376 <= p.line <= 397]
    assert len(box) == 22 and box[0].fix.startswith("├── README.md")
    assert all("code block" in p.message for p in box)  # reported, repaired by hand
    relative = {(p.line, p.text) for p in seed.problems if p.code == "duplicate"}
    assert {(364, "./case-studies/"), (365, "./fundamentals/")} <= relative
    # The empty index cells point at letters that have no section.
    assert ("broken-anchor", 55) in found
    assert any(p.line == 55 and "#-interview" in p.message for p in seed.problems)
    assert any(p.line == 37 and "#e-companies" in p.message for p in seed.problems)
    assert not any("#a-companies" in p.message for p in seed.problems)
    # The seed directory has no learning-paths/: every relative link is missing.
    assert ("missing-file", 152) in found
    assert problems["missing-file"] == sum(
        1 for r in seed.links if classify(r.url) is LinkKind.RELATIVE
    )


# -- the corpus READMEs, against the reference counts -------------------------------------


def corpus() -> list[dict[str, object]]:
    index = READMES / "index.json"
    if not index.exists():
        return []
    readmes: list[dict[str, object]] = json.loads(index.read_text())["readmes"]
    return readmes


@needs_shared()
@pytest.mark.parametrize("record", corpus(), ids=lambda r: str(r["file"]))
def test_corpus_counts_match_the_references(record: dict[str, object]) -> None:
    """Compare with the two reference counts of corpora/readmes/index.json.

    ``link_counts_markdown_it`` counts markdown-it's link_open tokens with linkify-it on,
    which also links bare domain names GitHub leaves as text ("Booking.com", "Mint.com",
    "Bit.ly", "www.example.com"); we link only bare http(s) URLs, so our Markdown
    (non-HTML) counts may be below it, never above, by at most 3 % (measured: 0 to 2.8 %,
    the most in system-design-primer: 351 against 361 external links). Anchors and relative
    links (non-image, any syntax) must equal ``link_counts_scanner`` exactly: nothing
    fuzzy touches them.
    """
    path = require(READMES / str(record["file"]))
    doc = parse_markdown(path.read_text(encoding="utf-8"))
    reference = record["link_counts_markdown_it"]
    scanner = record["link_counts_scanner"]
    assert isinstance(reference, dict) and isinstance(scanner, dict)

    markdown = [r for r in doc.links if r.syntax != "html"]
    links = [r for r in markdown if not r.image]
    external = [r for r in links if classify(r.url) is LinkKind.EXTERNAL]
    ours = {
        "markdown_links": len(links),
        "markdown_images": len(markdown) - len(links),
        "external_http_links": len(external),
        "unique_external_urls": len({link_key(r.url) for r in external}),
    }
    for name, value in ours.items():
        expected = reference[name]
        assert expected * 0.97 <= value <= expected, (name, value, expected)

    not_images = [r for r in doc.links if not r.image]
    anchors = sum(1 for r in not_images if classify(r.url) is LinkKind.ANCHOR)
    relative = sum(1 for r in not_images if classify(r.url) is LinkKind.RELATIVE)
    assert (anchors, relative) == (scanner["anchor_links"], scanner["relative_links"])


@needs_shared()
def test_corpus_entries_and_lines() -> None:
    path = require(READMES / "kilimchoi__engineering-blogs__README.md")
    lines = path.read_text(encoding="utf-8").splitlines()
    doc = parse_markdown("\n".join(lines))
    # Every entry is a bullet with a bare blog URL; the index records 449 list items.
    assert len(doc.items) == 449
    assert all(i.links[0].syntax == "bare" for i in doc.items)
    # Each link's line holds its URL as written.
    for ref in doc.links:
        assert ref.url in lines[ref.line - 1], ref
    first = doc.items[0]
    assert (first.title, urls(first.links)) == ("8th Light", ["https://8thlight.com/blog/"])
    assert doc.headings[first.heading or 0].text == "# companies"


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from(list("#[]()`*_ \n-|aZ1:<>!\\")), max_size=200))
def test_headings_of_agrees_with_parse_markdown(text: str) -> None:
    from catalog.readme_parser import headings_of

    assert headings_of(text) == parse_markdown(text).headings


@needs_shared()
def test_headings_of_agrees_on_the_seed_and_corpora() -> None:
    from catalog.readme_parser import headings_of

    files = [
        shared_path("seeds", "README.md"),
        *sorted(shared_path("corpora", "readmes").glob("*.md")),
    ]
    for path in files:
        text = path.read_text()
        assert headings_of(text) == parse_markdown(text).headings, path.name
