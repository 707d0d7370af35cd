"""catalog.metadata titles: the general rules that pick the headline among ``<title>``,
the metadata titles and the visible headings, one test per rule on hand-written pages."""

from __future__ import annotations

from catalog.metadata import extract
from catalog.metadata.sources import MAX_TITLE_CHARS


def page(head: str = "", body: str = "") -> str:
    return f'<!DOCTYPE html><html lang="en"><head>{head}</head><body>{body}</body></html>'


def og(title: str) -> str:
    return f'<meta property="og:title" content="{title}">'


def test_reworded_h1_beats_the_metadata_title() -> None:
    html = page(
        og("Tea or coffee in the morning – which is healthier?"),
        "<h1>Tea or coffee in the morning – which is better?</h1><p>Text.</p>",
    )
    title = extract(html, "https://drinks.example.net/tea-or-coffee").title
    assert title == "Tea or coffee in the morning – which is better?"


def test_h1_with_extra_words_in_the_middle_beats_the_title() -> None:
    html = page(
        "<title>Apple (Malus domestica)</title>",
        "<h1>Apple, Apples, Pomme (Malus domestica)</h1><p>Text.</p>",
    )
    title = extract(html, "http://fruit.example.org/fruit/apple.html").title
    assert title == "Apple, Apples, Pomme (Malus domestica)"


def test_h1_spelled_out_by_the_url_beats_a_site_wide_title() -> None:
    html = page(
        "<title>Day trips along the northern coast</title>",
        "<h1>Harbour-Lighthouse</h1><p>Text.</p>",
    )
    url = "https://coast.example.org/towns/harbour/harbourlighthouse.htm"
    assert extract(html, url).title == "Harbour-Lighthouse"


def test_unrelated_h1_does_not_replace_the_title() -> None:
    html = page(
        og("Council approves the new cycle lanes"),
        "<h1>Local news</h1><p>Text.</p>",
    )
    url = "https://paper.example.com/local/council-approves-the-new-cycle-lanes"
    assert extract(html, url).title == "Council approves the new cycle lanes"


def test_title_prefix_beyond_og_title_is_the_site_name() -> None:
    html = page(
        og("My garden diary, week one") + "<title>garden diary: My garden diary, week one</title>",
        "<h1>garden diary</h1><h2>Tuesday</h2><p>Text.</p>",
    )
    url = "http://pondnotes.blogspot.example/2020/05/week-one.html"
    assert extract(html, url).title == "My garden diary, week one"


def test_site_name_in_dc_title_does_not_make_the_headline_a_site_name() -> None:
    html = page(
        og("Why patience pays off")
        + '<meta name="dc.title" content="The Weekly Bell">'
        + '<meta property="og:site_name" content="The Weekly Bell">'
        + "<title>Why patience pays off | The Weekly Bell</title>",
        "<h1>Why patience pays off</h1><h1>A quote from elsewhere</h1><p>Text.</p>",
    )
    assert extract(html, "https://bell.example.com/patience").title == "Why patience pays off"


def test_cjk_site_suffix_without_spaces_is_dropped() -> None:
    html = page("<title>城市的春天来了，公园里开满了花！-示例网</title>", "<p>正文。</p>")
    assert extract(html, "http://www.example.cn/a/2020/1.htm").title == (
        "城市的春天来了，公园里开满了花！"
    )


def test_cjk_title_with_latin_hyphen_is_kept() -> None:
    html = page("<title>新型号A-100发布会</title>", "<p>正文。</p>")
    assert extract(html, "http://www.example.cn/a/2020/2.htm").title == "新型号A-100发布会"


def test_banner_heading_repeating_the_title_end_is_the_site() -> None:
    html = page(
        "<title>Cross Body Lead - Dance Moves - Salsa Club Lisbon</title>",
        "<h1>Dance Moves - Salsa Club Lisbon</h1><h2>Basic step</h2><p>Text.</p>",
    )
    assert extract(html, "http://salsaclub.example.com/cross-body-lead").title == (
        "Cross Body Lead"
    )


def test_description_picks_the_headline_part_of_the_title() -> None:
    html = page(
        "<title>Rowing Club Example Town - New boats for the junior team - Club Press - News"
        "</title>"
        '<meta name="description" content="New boats for the junior team">',
        "<p>Text.</p>",
    )
    url = "http://rowingclub-exampletown.example.de/modules/news/article.php?storyid=7"
    assert extract(html, url).title == "New boats for the junior team"


def test_sources_with_different_kickers_agree_on_the_headline() -> None:
    html = page(
        og("Back to the stars?: Starship Tycoon Demo")
        + "<title>gamesite | Previews: Starship Tycoon Demo</title>",
        "<p>Text.</p>",
    )
    url = "https://gamesite.example/previews,id77,starship_tycoon_demo.html"
    assert extract(html, url).title == "Starship Tycoon Demo"


def test_same_kicker_keeps_the_whole_title() -> None:
    html = page(
        og("Review: Starship Tycoon Demo") + "<title>Review: Starship Tycoon Demo</title>",
        "<p>Text.</p>",
    )
    url = "https://gamesite.example/reviews/starship"
    assert extract(html, url).title == "Review: Starship Tycoon Demo"


def test_title_part_spelled_by_the_host_is_the_site_name() -> None:
    html = page("<title>Fire Brigade Lisbon - Training</title>", "<p>Text.</p>")
    url = "http://firebrigade-divers-lisbon.example.org/training.html"
    assert extract(html, url).title == "Training"


def test_heading_spelled_by_the_url_path_is_the_full_title() -> None:
    html = page("<title>Fire Brigade Lisbon - Training</title>", "<h2>Boat Training</h2>")
    url = "http://firebrigade-divers-lisbon.example.org/boat/training.html"
    assert extract(html, url).title == "Boat Training"


def test_heading_label_repeating_the_title_is_not_a_fuller_title() -> None:
    html = page(
        og("Patchnotes 2.1 - Winter Build"),
        "<h1>Patch Notes Patchnotes 2.1 - Winter Build</h1><p>Text.</p>",
    )
    url = "https://game.example.com/threads/patchnotes-2-1-winter-build.12/"
    assert extract(html, url).title == "Patchnotes 2.1 - Winter Build"


def test_a_hostile_title_is_clipped_before_the_title_rules() -> None:
    # Title rules compare runs of parts; 25,000 parts would take minutes.
    body = "<html><head><title>" + "Part - " * 25_000 + "</title></head><body></body></html>"
    title = extract(body.encode(), "https://example.org/a/post")
    assert title.title is not None and 0 < len(title.title) <= MAX_TITLE_CHARS


def test_a_title_cut_short_with_an_ellipsis_yields_to_the_whole_heading() -> None:
    html = page(
        og("How we rebuilt the harbour lights of the..."),
        "<h1>How we rebuilt the harbour lights of the old town</h1><p>Text.</p>",
    )
    title = extract(html, "https://news.example/a").title
    assert title == "How we rebuilt the harbour lights of the old town"


def test_a_heading_without_the_trailing_addition_is_the_title() -> None:
    html = page(
        og("How we rebuilt the harbour lights (2021/5)"),
        "<h1>How we rebuilt the harbour lights</h1><p>Text.</p>",
    )
    assert extract(html, "https://news.example/a").title == "How we rebuilt the harbour lights"


def test_a_site_name_behind_a_tight_bar_is_dropped_on_either_side() -> None:
    site = '<meta property="og:site_name" content="NEWS WEB EASY">'
    for title in ("NEWS WEB EASY|Harbour lights return", "Harbour lights return|NEWS WEB EASY"):
        html = page(f"<title>{title}</title>{site}", "<p>Text.</p>")
        assert extract(html, "https://news.example/a").title == "Harbour lights return"
