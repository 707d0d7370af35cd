"""catalog.metadata publication dates: one small page per rule (htmldate's answer is the
default; each rule of ``catalog.metadata.published`` overrides or drops it), and the notations."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from catalog.datetimes import parse_date, parse_dated
from catalog.metadata import _parse, extract, published
from catalog.metadata.dates import written_at, written_in
from catalog.metadata.sources import collect, header_date

URL = "https://blog.example.net/notes/a-walk-by-the-river"


def page(head: str = "", body: str = "") -> str:
    return f'<!DOCTYPE html><html lang="en"><head>{head}</head><body>{body}</body></html>'


def jsonld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_written_date_with_time_and_zone_is_an_instant() -> None:
    # RFC 2822 (HTTP, RSS, some JSON-LD): the time and zone move the day.
    assert parse_date("Tue, 03 Mar 2020 23:30:00 -0500") == datetime(2020, 3, 4, 4, 30, tzinfo=UTC)
    assert parse_date("Thu, 05 May 2022 03:12:00 GMT") == datetime(2022, 5, 5, 3, 12, tzinfo=UTC)
    assert parse_date("March 3, 2020") == datetime(2020, 3, 3, tzinfo=UTC)
    ld = {
        "@type": "NewsArticle",
        "headline": "Late news",
        "datePublished": "Sun, 01 Mar 2020 23:10:00 -0300",
    }
    meta = extract(page(jsonld(ld), "<p>Body</p>"), URL)
    assert meta.published == datetime(2020, 3, 2, 2, 10, tzinfo=UTC)


def test_written_in_common_notations() -> None:
    day = date(2021, 3, 5)
    for text in (
        "on 05.03.2021 at noon",
        "5 | 3 | 2021",
        "2021-03-05",
        "3/5/2021",
        "5. März 2021",
        "March 5th, 2021",
        "5 de marzo de 2021",
        "2021年3月5日",
    ):
        assert written_in(text, day), text
    for text in ("15.03.2021", "2021-03-050", "March 2021", "photo_20210305.jpg"):
        assert not written_in(text, day), text


_IMAGE_ONLY = (
    "<div><p>Our rooms, our prices and how to reach us by train or by car.</p>"
    '<img src="/media/uploads/2019/03/14/lobby-20190314.jpg" alt="Lobby">'
    '<a href="/media/uploads/2019/03/14/plan-20190314.pdf">Floor plan</a></div>'
)


def test_guess_from_image_urls_only_is_dropped() -> None:
    # htmldate's extensive search reads upload folders and file names: not a page date.
    assert extract(page("<title>Rooms</title>", _IMAGE_ONLY), URL).published is None


def test_guess_written_in_the_text_is_kept() -> None:
    body = _IMAGE_ONLY + "<div><p>Prices valid from 14 March 2019 onwards.</p></div>"
    meta = extract(page("<title>Rooms</title>", body), URL)
    assert meta.published is not None and meta.published.date() == date(2019, 3, 14)


def _webpage_graph(published: str, modified: str = "2020-01-09T10:00:00+00:00") -> str:
    return jsonld(
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebSite", "@id": "https://blog.example.net/#website", "name": "Ex"},
                {
                    "@type": "WebPage",
                    "@id": URL + "#webpage",
                    "name": "About us",
                    "datePublished": published,
                    "dateModified": modified,
                },
            ],
        }
    )


def test_webpage_node_date_alone_is_dropped() -> None:
    # SEO plugins put datePublished on every page's WebPage node: the record's creation.
    html = page(_webpage_graph("2018-06-08T11:14:18+00:00"), "<h1>About us</h1><p>We knit.</p>")
    assert extract(html, URL).published is None


def test_webpage_node_date_shown_on_the_page_is_kept() -> None:
    body = "<h1>About us</h1><p>We knit.</p><div><p>Founded on June 8, 2018.</p></div>"
    html = page(_webpage_graph("2018-06-08T11:14:18+00:00"), body)
    assert extract(html, URL).published == datetime(2018, 6, 8, 11, 14, 18, tzinfo=UTC)


_HEADLINE_PAGE = (
    '<header><h1 class="site-logo">The Knitting Post</h1></header>'
    "<main><h1>Winter scarves</h1><p>5. März 2021, Jane Roe</p>"
    "<p>Long wool, short days, and the patterns we like most this year.</p>"
    '<ul class="related-posts"><li><span class="date">2 January 2019</span> Old post</li></ul>'
    '<div class="comments"><p class="comment-date">1 February 2021</p></div></main>'
    '<footer><span class="date">3 January 2018</span></footer>'
)


def test_date_under_the_headline() -> None:
    # The date written with the headline is the page's own; related posts and comments are not.
    root = _parse(page("<title>Winter scarves</title>", _HEADLINE_PAGE))
    assert root is not None
    assert header_date(root) == "5. März 2021, Jane Roe"
    meta = extract(page("<title>Winter scarves</title>", _HEADLINE_PAGE), URL)
    assert meta.published == datetime(2021, 3, 5, tzinfo=UTC)


def test_header_date_classes_and_updated() -> None:
    # A byline element before or after the headline counts; what follows "Updated" does not.
    filler = "<div><p>Some words about wool.</p></div>" * 4
    body = f'<div class="entry-meta">Posted by Jo, 12 April 2021</div><h1>Title</h1>{filler}'
    root = _parse(page("", body))
    assert root is not None and header_date(root) == "Posted by Jo, 12 April 2021"
    body = '<h1>Title</h1><p class="post-meta">Jo · Updated 2 May 2021</p><p>Text</p>'
    root = _parse(page("", body))
    assert root is not None and header_date(root) is None


def test_rdfa_dublin_core_dates() -> None:
    # property="dc:date.created" is the RDFa spelling of DC.date.created.
    head = (
        '<meta property="dc:date.created" content="2017-04-12">'
        '<meta property="dcterms:modified" content="2020-02-19">'
    )
    root = _parse(page(head, "<p>x</p>"))
    assert root is not None
    found = collect(root)
    assert ("dc", "2017-04-12") in found["published"]
    assert ("dc", "2020-02-19") in found["modified"]
    assert extract(page(head, "<p>x</p>"), URL).modified == datetime(2020, 2, 19, tzinfo=UTC)


def test_header_date_skips_comments_related_and_footer() -> None:
    body = (
        "<main><h1>Winter scarves</h1><p>Long wool, short days and the patterns we like.</p>"
        "<p>Second paragraph about wool.</p><p>Third.</p><p>Fourth.</p><p>Fifth.</p>"
        '<ul class="related-posts"><li><span class="date">2 January 2019</span></li></ul>'
        '<div id="comments"><p><span class="date">1 February 2021</span></p></div></main>'
        '<footer><p><span class="date">3 January 2018</span></p></footer>'
    )
    root = _parse(page("", body))
    assert root is not None and header_date(root) is None


def test_ctime_dates() -> None:
    # C asctime / Java Date.toString put the year after the time (and a zone name).
    assert parse_date("Thu Mar 12 08:05:09 CET 2020") == datetime(2020, 3, 12, tzinfo=UTC)
    assert parse_date("Thu Mar 12 08:05:09 2020") == datetime(2020, 3, 12, tzinfo=UTC)
    ld = {
        "@type": "NewsArticle",
        "headline": "Rail fares",
        "datePublished": "Thu Mar 12 08:05:09 CET 2020",
    }
    meta = extract(page(jsonld(ld), "<p>Fares rise again.</p>"), URL)
    assert meta.published == datetime(2020, 3, 12, tzinfo=UTC)


_NOTICE = (
    "<main><h2>Engineering works between two stations</h2>"
    "<p>Buses replace trains on weekends while the bridge is repaired.</p>"
    "<p>Please allow extra time for your journey.</p>{extra}</main>"
)


def test_guess_written_only_after_an_update_label_is_dropped() -> None:
    # "Last updated: <day>" is an edit's date, not the publication's.
    body = _NOTICE.format(extra='<p class="stamp"><b>Last updated:</b> 9 October 2019</p>')
    assert extract(page("<title>Works</title>", body), URL).published is None
    body = _NOTICE.format(extra='<p class="stamp"><b>Notice of</b> 9 October 2019</p>')
    meta = extract(page("<title>Works</title>", body), URL)
    assert meta.published is not None and meta.published.date() == date(2019, 10, 9)


def test_guess_written_only_in_comments_is_dropped() -> None:
    # A commenter's day is not the page's.
    comments = (
        '<section id="comments"><div class="comment-meta">Sam, 9 October 2019 at 10:12</div>'
        "<p>Thanks for the notice.</p></section>"
    )
    body = _NOTICE.format(extra=comments)
    assert extract(page("<title>Works</title>", body), URL).published is None


def test_month_url_takes_the_day_written_in_that_month() -> None:
    # A /2011/04/ path fixes the month; the page's text gives the day.
    url = "https://blog.example.net/2011/04/spring-planting/"
    rows = "".join(f"<p>Row {i} of beans goes here.</p>" for i in range(8))
    body = (
        f"<main><h1>Spring planting</h1>{rows}<p>Escrito el 17 de abril de 2011.</p></main>"
        '<div class="comments"><p>Kim, 3 de abril de 2011</p></div>'
        '<footer><a href="/2016/02/">Archive: February 2016</a></footer>'
    )
    meta = extract(page("<title>Spring planting</title>", body), url)
    assert meta.published == datetime(2011, 4, 17, tzinfo=UTC)


def test_dateline_ending_the_title_or_description() -> None:
    # Some sites state the date nowhere but at the end of the title or description.
    body = "<main><h1>Otters return</h1><p>Otters were seen at the weir again.</p></main>"
    head = (
        "<title>Otters return | River Trust</title>"
        '<meta name="description" content="Otters return to the weir (news of 8 Febbraio 2021)">'
    )
    assert extract(page(head, body), URL).published == datetime(2021, 2, 8, tzinfo=UTC)
    head = "<title>Otters return | River Trust | 08.02.2021</title>"
    assert extract(page(head, body), URL).published == datetime(2021, 2, 8, tzinfo=UTC)
    head = '<meta name="description" content="Otters return; counting on 8 March 2021 at noon.">'
    assert extract(page(head, body), URL).published is None


def test_only_the_first_mentions_of_a_year_are_searched_for_a_day() -> None:
    # A page writing the year thousands of times (an archive, a hostile page) stays cheap.
    day = date(2019, 5, 12)
    early = "12.05.2019 " + "2019 " * 1000
    late = "2019 " * 1000 + "12.05.2019"
    assert written_at(early, day) == [0]
    assert written_at(late, day) == []
    assert written_at("2019 " * 10 + "12.05.2019", day) == [50]


def test_dates_keep_the_page_offset_until_the_day_is_taken() -> None:
    # 03:01 at +04:00 is 23:01 UTC the day before; the page's readers see June 3rd.
    day, instant = parse_dated("2020-06-03T03:01+0400") or (None, None)
    assert day == date(2020, 6, 3) and instant is not None and instant.date() == date(2020, 6, 3)
    assert instant == datetime(2020, 6, 2, 23, 1, tzinfo=UTC)  # the same instant
    ld = {"@type": "NewsArticle", "headline": "Dawn", "datePublished": "2020-06-03T03:01+0400"}
    meta = extract(page(jsonld(ld), "<h1>Dawn</h1><p>Body</p>"), URL)
    assert meta.published is not None and meta.published.date() == date(2020, 6, 3)
    assert meta.to_json()["published"] == "2020-06-03T03:01:00+04:00"


def test_htmldate_answer_is_the_default_and_the_evidence_says_so() -> None:
    head = '<meta property="article:published_time" content="2021-03-04T09:30:00+02:00">'
    meta = extract(page(head, "<h1>Spring</h1><p>Body</p>"), URL)
    assert meta.published == datetime(2021, 3, 4, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    assert meta.evidence == {"published": "htmldate"}
    assert meta.to_json()["evidence"] == {"published": "htmldate"}


def _edited(head: str) -> str:
    """A news page's head whose markup gives a publication and a modification day."""
    return (
        f"<title>Upset</title>{head}"
        '<meta property="og:article:published_time" content="2020-01-19T12:25:36Z">'
        '<meta property="og:article:modified_time" content="2020-01-20T09:49:32Z">'
        + jsonld(
            {
                "@type": "NewsArticle",
                "headline": "Upset",
                "datePublished": "2020-01-19T12:25:36Z",
                "dateModified": "2020-01-20T09:49:32Z",
            }
        )
    )


_SAILTHRU = '<meta name="sailthru.date" content="2020-01-20T09:49:32Z">'
_UPSET = "<main><h1>Upset</h1><p>A film won the evening.</p></main>"
_GMT_LD = jsonld(
    {"@type": "NewsArticle", "headline": "Cars", "datePublished": "Wed, 04 May 2022 02:41:00 GMT"}
)
_LOCAL_BODY = "<main><h1>Cars</h1><h6><span>{shown}</span></h6><p>Stolen cars.</p></main>"


def test_modification_day_without_a_publication_day_is_dropped() -> None:
    # htmldate gives the edit's day; the only publication day is a WebPage node's, not shown
    head = '<title>Font sizes</title><meta property="article:modified_time" content="{}">'
    graph = _webpage_graph("2019-09-24T08:03:49+00:00", modified="2020-09-30T14:43:49+00:00")
    html = page(
        head.format("2020-09-30T14:43:49+00:00") + graph, "<h1>Font sizes</h1><p>Plots.</p>"
    )
    meta = extract(html, URL)
    assert meta.published is None
    assert "modified: the markup gives it as an edit's day only" in meta.evidence["published"]


def test_modification_day_the_page_shows_stands() -> None:
    # the page shows the edit's day as its date: a reader sees that one, htmldate's stands
    html = page(_edited(_SAILTHRU), _UPSET.replace("</h1>", "</h1><p>20 January 2020</p>"))
    meta = extract(html, URL)
    assert meta.published is not None and meta.published.date() == date(2020, 1, 20)
    assert "modified" not in meta.evidence["published"]


@pytest.mark.parametrize(
    ("shown", "want"),
    [
        ("3/5/2022 22:41", "2022-05-03T22:41:00-04:00"),  # the page's offset: UTC-04:00
        ("May 3, 2022, 10:41 pm", "2022-05-03T22:41:00-04:00"),
        ("2022-05-03 22:41:00", "2022-05-03T22:41:00-04:00"),
        ("May 4, 2022, 12:11 pm", "2022-05-04T02:41:00+00:00"),  # same day: nothing to restore
        ("3/5/2022 22:40", "2022-05-04T02:41:00+00:00"),  # another minute: not this instant
    ],
)
def test_local_day_of_a_utc_instant_the_page_shows(shown: str, want: str) -> None:
    meta = extract(page(_GMT_LD, _LOCAL_BODY.format(shown=shown)), URL)
    assert meta.published is not None and meta.published.isoformat() == want


_ROWS = "".join(f"<p>Row {i} of beans goes here.</p>" for i in range(8))
# One small page per rule of catalog.metadata.published: (page, URL, the day with the rule on).
# A site's header with a "today" widget (the day the page was read), then an article
# that writes no date.
_MASTHEAD = (
    '<header class="site"><a href="/">The Valley Courier</a>'
    '<div class="today">Wednesday, 8 July 2020</div>'
    '<nav><a href="/news">News</a> <a href="/sport">Sport</a></nav></header>'
)
_FERRY = (
    "<main><h1>Ferry timetable changes</h1>"
    "<p>The ferry leaves an hour earlier from Monday, the operator said.</p>"
    "<p>Tickets bought for the old times remain valid.</p></main>"
)


RULE_PAGES: dict[str, tuple[str, str, date | None]] = {
    # a JSON-LD date in a notation htmldate does not read (it guesses the year's 1st)
    "markup": (
        page(
            jsonld(
                {
                    "@type": "NewsArticle",
                    "headline": "Rail fares",
                    "datePublished": "Thu Mar 12 08:05:09 CET 2020",
                }
            ),
            "<p>Fares rise again.</p>",
        ),
        URL,
        date(2020, 3, 12),
    ),
    # a markup day within a day of the URL's beats htmldate's reading of the URL
    "url-day": (
        page(
            '<meta name="date" content="2020-02-18T18:12:26+01:00">'
            + jsonld(
                {
                    "@type": "NewsArticle",
                    "headline": "Bikes",
                    "datePublished": "2020-02-19T18:37:32+01:00",
                }
            ),
            "<main><h1>Bikes</h1><p>A ride.</p></main>",
        ),
        "https://news.example.net/2020-02-18/bikes.html",
        date(2020, 2, 19),
    ),
    "headline": (page("<title>Winter scarves</title>", _HEADLINE_PAGE), URL, date(2021, 3, 5)),
    "unwritten": (page("<title>Rooms</title>", _IMAGE_ONLY), URL, None),
    # a version-control stamp in a comment is not the page's date
    "html-comment": (
        page(
            "<title>West side</title>",
            "<!-- $Id: analytics.tpl 21 2014-06-01 13:09:34Z volker $ -->"
            "<main><h1>West side</h1><p>Shops, parks and the old market hall.</p></main>",
        ),
        URL,
        None,
    ),
    # the day the site's header shows (today's), written nowhere in the article
    "masthead": (page("<title>Ferry timetable changes</title>", _MASTHEAD + _FERRY), URL, None),
    "webpage-node": (
        page(_webpage_graph("2018-06-08T11:14:18+00:00"), "<h1>About us</h1><p>We knit.</p>"),
        URL,
        None,
    ),
    "comments": (
        page(
            "<title>Works</title>",
            _NOTICE.format(extra='<p class="stamp"><b>Last updated:</b> 9 October 2019</p>'),
        ),
        URL,
        None,
    ),
    # htmldate answers with the markup's modification day, which the page does not show
    "modified": (page(_edited(_SAILTHRU), _UPSET), URL, date(2020, 1, 19)),
    # the markup's UTC instant, shown on the page at its local time on the day before
    "local-day": (page(_GMT_LD, _LOCAL_BODY.format(shown="3/5/2022 22:41")), URL, date(2022, 5, 3)),
    "url-month": (
        page(
            "<title>Spring planting</title>",
            f"<main><h1>Spring planting</h1>{_ROWS}<p>Escrito el 17 de abril de 2011.</p></main>",
        ),
        "https://blog.example.net/2011/04/spring-planting/",
        date(2011, 4, 17),
    ),
    "dateline": (
        page(
            "<title>Otters return</title><meta name='description'"
            " content='Otters return to the weir (news of 8 Febbraio 2021)'>",
            "<main><h1>Otters return</h1><p>Otters were seen at the weir again.</p></main>",
        ),
        URL,
        date(2021, 2, 8),
    ),
}


@pytest.mark.parametrize(
    "body",
    [
        # the article writes the day too: it is the article's
        _MASTHEAD + _FERRY.replace("</h1>", "</h1><p class='byline'>8 July 2020</p>"),
        # an article's own header (headline and date) is not the site's
        "<article><header><h1>Ferry</h1><p>Wednesday, 8 July 2020</p></header>"
        "<p>The ferry leaves an hour earlier.</p></article>",
        # a page-wide header holding the headline is the article's header
        "<header><h1>Ferry</h1><p>Wednesday, 8 July 2020</p></header>"
        "<div><p>The ferry leaves an hour earlier.</p></div>",
    ],
)
def test_a_day_in_a_header_that_is_the_articles_stays(body: str) -> None:
    meta = extract(page("<title>Ferry</title>", body), URL)
    assert meta.published is not None and meta.published.date() == date(2020, 7, 8)
    assert "masthead" not in meta.evidence["published"]


def test_every_date_rule_has_a_page() -> None:
    assert set(RULE_PAGES) == set(published.RULES)


@pytest.mark.parametrize("rule", sorted(RULE_PAGES))
def test_each_date_rule_decides_its_page(rule: str) -> None:
    # The page's answer with the rule, a different one without it (the ablation, in small),
    # and the override (or the drop) is written in the evidence.
    html, url, want = RULE_PAGES[rule]
    meta = extract(html, url)
    assert (meta.published.date() if meta.published else None) == want
    assert f"{rule}:" in meta.evidence["published"]
    published.DISABLED.add(rule)
    try:
        without = extract(html, url).published
    finally:
        published.DISABLED.discard(rule)
    assert (without.date() if without else None) != want


def test_the_markup_vote_counts_each_source_once_a_day() -> None:
    from catalog.metadata.published import _edited, _markup_vote

    found = {
        "published": [
            ("og", "not a date"),
            ("page", "2020-01-01"),  # a source without a weight: no vote
            ("jsonld", "2020-01-02T09:00:00Z"),
            ("og", "2020-01-02T10:00:00Z"),
            ("og", "2020-01-02"),  # og again, the same day: counted once
            ("page-anytime", "2020-01-02T11:00:00Z"),
        ],
        "modified": [("og", "soon"), ("jsonld", "2020-02-03")],
    }
    votes, best, sources = _markup_vote(found)
    day = date(2020, 1, 2)
    assert votes == {day: 8.5} and sources == {day: {"jsonld", "og", "page-anytime"}}
    assert best[day] == (4.0, datetime(2020, 1, 2, 9, tzinfo=UTC))  # the first heaviest
    assert _edited(found) == {date(2020, 2, 3)}


def test_a_utc_instant_is_put_in_the_offset_of_the_clock_the_page_shows() -> None:
    from catalog.metadata.dates import PageText
    from catalog.metadata.published import _local

    body = (
        "<p>Updated at 22:41 by the desk.</p>"  # a clock without its day before it
        "<p>Posted 3/5/2022 22:41</p>"
    )
    text = PageText(_parse(f"<html><body>{body}</body></html>"))
    value = datetime(2022, 5, 4, 2, 41, tzinfo=UTC)
    local = _local(value, text)
    assert local is not None and local.isoformat() == "2022-05-03T22:41:00-04:00"
    assert local == value
