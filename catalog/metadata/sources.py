"""Candidate values from each source of a parsed page, in the page's own words.

``collect`` returns, per field, a list of ``(source, value)`` pairs; the sources are
``jsonld``, ``og`` (OpenGraph and its ``article:`` namespace), ``dc`` (Dublin Core),
``meta`` (other ``<meta>`` conventions: plain HTML, Twitter cards, Highwire ``citation_``,
Parse.ly, Sailthru), ``microdata`` (``itemprop``) and ``page`` (the visible page).
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from typing import Any

from lxml import html as lxml_html

from catalog.datetimes import parse_dated

from . import jsonld
from .dates import UPDATED
from .text import OTHER_CREDIT

Candidates = dict[str, list[tuple[str, str]]]

# lowercased meta name/property -> (field, source)
META_FIELDS: dict[str, tuple[str, str]] = {}
for _field, _source, _names in [
    ("title", "og", "og:title"),
    ("title", "meta", "twitter:title citation_title parsely-title sailthru.title headline"),
    ("title", "dc", "dc.title dcterms.title"),
    ("description", "og", "og:description"),
    ("description", "meta", "description twitter:description"),
    ("description", "dc", "dc.description dcterms.description dcterms.abstract"),
    ("site_name", "og", "og:site_name"),
    ("site_name", "meta", "application-name apple-mobile-web-app-title publisher"),
    ("site_name", "dc", "dc.publisher dcterms.publisher"),
    ("authors", "og", "article:author og:article:author book:author"),
    (
        "authors",
        "meta",
        "author citation_author parsely-author sailthru.author byl dc.creator.author "
        "article.author author_name cxenseparse:author",
    ),
    ("authors", "dc", "dc.creator dcterms.creator dc.contributor"),
    ("published", "og", "article:published_time og:article:published_time og:published_time"),
    (
        "published",
        "meta",
        "citation_publication_date citation_date citation_online_date date pubdate "
        "publishdate publish-date publish_date publication_date parsely-pub-date sailthru.date "
        "article.published article_date_original originalpublicationdate "
        "og:pubdate article.created date.created created dc.date.created release_date "
        "datepublished",
    ),
    ("published", "dc", "dc.date dc.date.issued dcterms.issued dcterms.date dcterms.created"),
    # The RDFa spelling of the same Dublin Core terms (``property="dc:date.created"``).
    (
        "published",
        "dc",
        "dc:date dc:date.issued dc:date.created dcterms:issued dcterms:date dcterms:created",
    ),
    ("modified", "og", "article:modified_time og:updated_time og:article:modified_time"),
    ("modified", "meta", "last-modified lastmod revised article.updated datemodified"),
    ("modified", "dc", "dc.date.modified dcterms.modified dc:date.modified dcterms:modified"),
    ("image", "og", "og:image og:image:url og:image:secure_url"),
    ("image", "meta", "twitter:image twitter:image:src thumbnail"),
    ("lang", "og", "og:locale"),
    ("lang", "meta", "content-language language"),
    ("lang", "dc", "dc.language dcterms.language"),
    ("og_url", "og", "og:url"),
]:
    for _name in _names.split():
        META_FIELDS[_name] = (_field, _source)

MICRODATA_FIELDS = {
    "headline": "title",
    "author": "authors",
    "creator": "authors",
    "datepublished": "published",
    "datecreated": "published",
    "datemodified": "modified",
    "description": "description",
}

FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
}


MAX_TITLE_CHARS = 1000
MAX_HEADINGS = 100  # of each level, <h1> and <h2>


def collect(root: lxml_html.HtmlElement, *, authors: bool = True) -> Candidates:
    """Every source's candidates; ``authors=False`` skips the page's bylines and author
    links, the costly part, for a reader that wants no authors (``identity``)."""
    found: Candidates = defaultdict(list)
    _from_jsonld(root, found)
    _from_meta(root, found)
    _from_links(root, found)
    _from_microdata(root, found)
    _from_page(root, found, authors=authors)
    for name in ("title", "h1", "h2"):
        # Title rules compare runs of a title's parts (quadratic in them): a real headline
        # is far shorter, and a hostile page's 100 KB <title> must not stall the crawl.
        found[name] = [(source, text[:MAX_TITLE_CHARS]) for source, text in found[name]]
    return found


def _from_meta(root: lxml_html.HtmlElement, found: Candidates) -> None:
    for meta in root.iter("meta"):
        content = meta.get("content")
        if content is None:
            content = meta.get("value")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "http-equiv", "itemprop"):
            key = meta.get(attr)
            if key:
                spec = META_FIELDS.get(key.strip().lower())
                if spec:
                    found[spec[0]].append((spec[1], content))
                    break


def _from_links(root: lxml_html.HtmlElement, found: Candidates) -> None:
    for link in root.iter("link"):
        href = link.get("href")
        if not href or not href.strip():
            continue
        rels = {r.lower() for r in (link.get("rel") or "").split()}
        if "canonical" in rels:
            found["canonical"].append(("page", href))
        if "alternate" in rels:
            kind = (link.get("type") or "").split(";")[0].strip().lower()
            if kind in FEED_TYPES or (kind == "application/json" and _json_feed_like(link)):
                found["feeds"].append(("page", href))
        if "image_src" in rels:
            found["image"].append(("page", href))
        if "author" in rels and link.get("title"):
            found["authors"].append(("page", link.get("title") or ""))


def _json_feed_like(link: lxml_html.HtmlElement) -> bool:
    """``application/json`` alternates are mostly REST API documents (WordPress
    ``/wp-json/``, oEmbed); count one as a JSON Feed only when it says it is a feed."""
    href = (link.get("href") or "").lower()
    title = (link.get("title") or "").lower()
    if "wp-json" in href or "oembed" in href:
        return False
    return "feed" in href or "feed" in title


def _from_jsonld(root: lxml_html.HtmlElement, found: Candidates) -> None:
    values: list[Any] = []
    for script in root.iter("script"):
        kind = (script.get("type") or "").strip().lower()
        if kind == "application/ld+json" and script.text:
            values.extend(jsonld.parse_block(script.text))
    if not values:
        return
    nodes = list(jsonld.iter_nodes(values))
    index = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    articles = [n for n in nodes if jsonld.types_of(n) & jsonld.ARTICLE_TYPES]
    pages = [n for n in nodes if jsonld.types_of(n) & jsonld.PAGE_TYPES]
    for n in pages:  # a WebPage's mainEntity is often the article
        main = n.get("mainEntity")
        if isinstance(main, dict) and jsonld.types_of(main) & jsonld.ARTICLE_TYPES:
            articles.append(main)
    for rank, group in (("jsonld", articles), ("jsonld-page", pages)):
        for node in group:
            _jsonld_node(node, rank, index, found)
    for node in nodes:
        # a Person the graph describes on its own (not a bare author string): see _authors
        if "person" in jsonld.types_of(node) and (name := jsonld.text_of(node.get("name"))):
            found["persons"].append(("jsonld", name))
        if jsonld.types_of(node) & jsonld.SITE_TYPES:
            name = jsonld.text_of(node.get("name"))
            if name:
                source = "jsonld-site" if "website" in jsonld.types_of(node) else "jsonld-org"
                found["site_name"].append((source, name))


def _jsonld_node(
    node: dict[str, Any], rank: str, index: dict[str, dict[str, Any]], found: Candidates
) -> None:
    title = jsonld.text_of(node.get("headline")) or jsonld.text_of(node.get("name"))
    if title:
        found["title"].append((rank, title))
    desc = jsonld.text_of(node.get("description"))
    if desc:
        found["description"].append((rank, desc))
    for key in ("author", "creator"):
        if key in node:
            for name in jsonld.names_of(node[key], index):
                found["authors"].append((rank, name))
            break
    for key, field in (
        ("datePublished", "published"),
        ("dateCreated", "published"),
        ("uploadDate", "published"),
        ("dateModified", "modified"),
    ):
        value = jsonld.text_of(node.get(key))
        if value:
            found[field].append((rank, value))
    image = jsonld.url_of(node.get("image")) or jsonld.url_of(node.get("thumbnailUrl"))
    if image:
        found["image"].append((rank, image))
    lang = jsonld.text_of(node.get("inLanguage"))
    if lang:
        found["lang"].append((rank, lang))
    publisher = jsonld.text_of(node.get("publisher"), index)
    if publisher:
        found["site_name"].append((rank + "-publisher", publisher))


def _from_microdata(root: lxml_html.HtmlElement, found: Candidates) -> None:
    for el in root.xpath("//body//*[@itemprop]"):
        field = MICRODATA_FIELDS.get((el.get("itemprop") or "").strip().lower())
        if field == "authors" and _in_comments(el):
            continue
        if field is None or el.tag == "meta":
            if el.tag == "meta" and field in {"published", "modified", "authors"}:
                content = el.get("content")
                if content:
                    found[field].append(("microdata", content))
            continue
        if field in {"published", "modified"}:
            value = el.get("datetime") or el.get("content") or el.text_content()
        elif field == "authors":
            names = el.xpath(".//*[@itemprop='name']")
            value = (names[0].get("content") or names[0].text_content()) if names else None
            value = value or el.get("content") or el.text_content()
        else:
            value = el.get("content") or el.text_content()
        if value and value.strip():
            found[field].append(("microdata", value))


def _from_page(root: lxml_html.HtmlElement, found: Candidates, *, authors: bool = True) -> None:
    title = root.find(".//title")
    if title is not None and title.text_content().strip():
        found["title"].append(("page-title", title.text_content()))
    for heading in root.iter("h1", "h2"):
        tag = str(heading.tag)
        if len(found[tag]) >= MAX_HEADINGS:  # the title rules read the first few
            continue
        text = heading.text_content()
        if text.strip():
            found[tag].append(("page", text))
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if lang:
        found["lang"].insert(0, ("page", lang))
    for base in root.iter("base"):
        if base.get("href"):
            found["base"].append(("page", base.get("href") or ""))
            break
    for t in root.iter("time"):
        value = t.get("datetime")
        if value:
            marked = t.get("pubdate") is not None or "publish" in (t.get("class") or "").lower()
            found["published"].append(("page-time" if marked else "page-anytime", value))
    if not authors:
        return
    for a in root.xpath("//a[contains(concat(' ', normalize-space(@rel), ' '), ' author ')]"):
        text = a.text_content()
        if text.strip() and not _hidden(a) and not _in_comments(a):
            found["authors"].append(("page", text))
    _from_bylines(root, found)


_BYLINE_CLASSES = ("author", "byline", "auteur", "autor", "contributor")
# em, strong, b: a byline set in italics or bold ("<em>Written by Ada Lovelace</em>")
_BYLINE_TAGS = {"span", "div", "p", "a", "address", "small", "em", "strong", "b"}
_BYLINE_WORDS = (
    r"(?:text von|texte de|blog beitrag von|"
    r"(?:(written|posted|submitted|published|geschrieben|verfasst|veröffentlicht|écrit|"
    r"publié|escrito|publicado)\s+)?(?:by|von|par|por)|auteur|autor|author)"
)
# an element that is only the byline word; the name is the next element ("By <a>Ada</a>").
# Possessive lead (*+): whitespace-only texts are common and must fail without backtracking.
_BYLINE_WORD_ONLY = re.compile(rf"[\s|·•,:-]*+{_BYLINE_WORDS}\b[\s:]*", re.I)
_DATED_BYLINE = re.compile(
    r"\s*+(?:\d{1,2}[./]\s?\d{1,2}[./]\s?\d{4}|\d{4}-\d\d-\d\d)"
    r"(?:\s*[|,]?\s*\d{1,2}:\d\d(?:\s*uhr)?)?"
    r"\s*(?:[|–—-]|(von|by))\s*([^|]{4,60}?)\s*",
    re.I,
)
_ONE_NAME = re.compile(r"[A-ZÀ-ÖØ-Þ][\w'’.-]+")
_NAME = re.compile(
    r"(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*|(?:de|van|von|der|da|di|del|la|le)\b)"
    r"(?:\s+(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*|(?:de|van|von|der|da|di|del|la|le)\b)){1,3}"
)


def _from_bylines(root: lxml_html.HtmlElement, found: Candidates) -> None:
    """Bylines: elements whose class names an author (``byline``, ``post-author``), and
    short texts that read like one without markup (``By Ada Lovelace``, ``Von Claudia
    Lindner``, ``par <a>Didier Roy</a>``: a byline word, then 2 to 4 capitalised words).
    One pass over the body, since XPath string functions over a large page are slow."""
    body = root.find("body")
    if body is None:
        return
    marked = texts = 0
    dated: list[tuple[str, bool]] = []
    signed: list[str] = []
    holder = None
    for el in body.iter(_BYLINE_TAGS):
        if holder is None and el.text and _COPYRIGHT_MARK.match(el.text):
            m = _COPYRIGHT.match(" ".join(el.text_content().split()))
            holder = m.group(1) if m else None
        if el.tag == "p" and len(el) and len(signed) < 2 and (sign := _signature(el)):
            signed.append(sign)
        cls = el.get("class")
        source = "page-byline"
        # Drupal's "Submitted by Ada on 3 May 2020" names the account that saved the page,
        # often an editor's: a fallback after bylines in the text
        if cls and "submitted" in cls and not any(c in cls.lower() for c in _BYLINE_CLASSES):
            source = "page-submitted"
        if (
            marked < 10
            and cls
            and (source == "page-submitted" or any(c in cls.lower() for c in _BYLINE_CLASSES))
            # a byline box nests a few layout divs; a div of many parts is a bio or a list
            and (el.tag != "div" or len(el) <= 4)
        ):
            text = el.text_content()
            if (
                text.strip()
                and len(text) < 120
                and not _in_comments(el)
                and not _beside_article(el)
            ):
                marked += 1
                found["authors"].append((source, text))
        if len(dated) < 2 and el.text and _DATED_BYLINE.match(el.text):
            text = " ".join(el.text_content().split())
            m = _DATED_BYLINE.fullmatch(text)
            if m and not _in_comments(el):
                dated.append((m.group(2), bool(m.group(1))))
            continue
        if texts < 5 and el.text and _BYLINE_WORD_ONLY.match(el.text):
            text = " ".join(el.text_content().split())
            if len(text) > 80 or _in_comments(el) or _beside_article(el):
                continue
            if _BYLINE_WORD_ONLY.fullmatch(text):
                name = _next_name(el)
                if name:
                    texts += 1
                    found["authors"].append(("page-text", name))
                continue
            texts += 1
            # "— by Ada Lovelace": the dashes before the byline word are no part of it
            m = _BYLINE_PREFIX.match(text, len(text) - len(text.lstrip(_BYLINE_LEAD)))
            # "Text by Ann Lee Photos by Bo Ek": the name before the other credit
            name = OTHER_CREDIT.sub("", text[m.end() :]) if m else ""
            name = name.strip(" .,;")
            if m and (
                _NAME.fullmatch(name)
                # "Posted by Ada": after an explicit verb one capitalised word is a name
                or (m.group(1) and _ONE_NAME.fullmatch(name))
            ):
                found["authors"].append(("page-text", name))
    # "04.02.2022 | 13:10 | Ada Lovelace": a date line ending in a name, if it is the only
    # one (several are a list of events or articles)
    # ("12.04.2022 13:30 von Ada": after "von"/"by" one capitalised word is a name too)
    if len(dated) == 1 and (
        _NAME.fullmatch(dated[0][0]) or (dated[0][1] and _ONE_NAME.fullmatch(dated[0][0]))
    ):
        found["authors"].append(("page-text", dated[0][0]))
    # "© 2012 Ada Lovelace": kept by _authors only on a site named after the holder
    if holder:
        found["authors"].append(("page-copyright", holder))
    # a signed article: only one signature, since several are a list of letters or reviews
    if len(signed) == 1:
        found["authors"].append(("page-sign", signed[0]))


_BYLINE_PREFIX = re.compile(rf"{_BYLINE_WORDS}\s*:?\s+", re.I)
_BYLINE_LEAD = " \t\n|·•,:-–—"
_EMPHASIS = {"b", "strong", "em", "i"}
# a person's name: 2-3 words in title case, not a company ("VI Media Group")
_PERSON = r"[A-ZÀ-ÖØ-Þ][a-zß-ÿ'’-]+(?:\s+[A-ZÀ-ÖØ-Þ][a-zß-ÿ'’-]+){1,2}"
_COPYRIGHT_MARK = re.compile(r"\s*+(?:©|\(c\)|copyright\b)", re.I)
_COPYRIGHT = re.compile(
    r"(?:\s*(?i:©|\(c\)|copyright\b))+\s*(?:\d{4}\s*(?:[-–]\s*(?:\d{4})?)?\s*)?,?\s*"
    rf"({_PERSON})(?:[.,|]|$)"
)


def _signature(p: lxml_html.HtmlElement) -> str | None:
    """The name signing an article: a paragraph closing its container (or set flush right)
    that is only a name in bold or italics (``<p><b>Ada Lovelace</b></p>``, 2 to 4 words),
    or a name over a date (``<p>Ada<br>3 May 2020</p>``)."""
    right = "right" in (p.get("align") or "") or "right" in (p.get("style") or "")
    if p.getnext() is not None and not right:
        return None
    if len(p) == 1 and p[0].tag == "br" and p.text and p[0].tail:
        # "Ada<br>10 September 2017": a dated signature, one word is enough
        name, day = p.text.strip(), p[0].tail.strip()
        if not (_NAME.fullmatch(name) or _ONE_NAME.fullmatch(name)) or len(day) > 30:
            return None
        return name if parse_dated(day) and not _in_furniture(p) and not _in_comments(p) else None
    el, emphasis = p, right
    while len(el) == 1 and not (el.text or "").strip() and not (el[0].tail or "").strip():
        el = el[0]
        emphasis = emphasis or el.tag in _EMPHASIS
    if el is p or len(el) or not emphasis:
        return None
    name = " ".join((el.text or "").split())
    if not _NAME.fullmatch(name) or _in_furniture(p) or _in_comments(p) or _beside_article(p):
        return None
    return name


def _next_name(el: lxml_html.HtmlElement) -> str | None:
    """The name after an element holding only a byline word: its tail text, else the text
    of the next element (``<span>By</span> <a>Ada Lovelace</a>``)."""
    text = (el.tail or "").strip(" \t\n|·•,")
    if not text:
        nxt = el.getnext()
        text = " ".join(nxt.text_content().split()) if nxt is not None else ""
    text = text.strip(" .,;|")
    return text if _NAME.fullmatch(text) else None


_COMMENTS = (
    "ancestor::*[contains(@id, 'comment') or contains(@class, 'comment') or "
    "contains(@id, 'respond') or contains(@class, 'reply')]"
)


def _hidden(el: lxml_html.HtmlElement) -> bool:
    """Whether an element is hidden from readers (``style="display:none"``, ``hidden``):
    such author links are leftovers of old profile schemes (Google+), not bylines."""
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or el.get("hidden") is not None


def _beside_article(el: lxml_html.HtmlElement) -> bool:
    """Whether an element is in a menu or beside the article (``<nav>``, ``<aside>``):
    names there belong to profile links and teasers of other articles, not to this page."""
    return any(
        a.tag in ("nav", "aside") or a.get("role") in ("navigation", "complementary")
        for a in el.iterancestors()
    )


def _in_comments(el: lxml_html.HtmlElement) -> bool:
    """Whether an element sits in the comment section: its names are commenters'."""
    return bool(el.xpath(_COMMENTS))


_DATE_CLASS = re.compile(r"date|time|publish|posted|created|meta|byline")
_NOT_HEADER = re.compile(r"modif|updat|comment|related|footer|sidebar|widget|teaser")
_UPDATED = UPDATED
_HEADER_SPAN = 150  # elements searched on each side of the headline
_HEADER_NEAR = 5  # elements right after the headline that need no date-like class


def header_date(root: lxml_html.HtmlElement) -> str | None:
    """The date written with the article's headline: the first short text right under the
    first ``<h1>``, or the nearest element named like a date or a byline (``post-date``,
    ``article-meta``) after it, then before it. Comments, related articles, sidebars and
    footers are skipped, and so is what follows ``Updated``. Called only when the metadata
    gives no date, since it walks the page."""
    body = root.find("body")
    if body is None:
        return None
    before: deque[lxml_html.HtmlElement] = deque(maxlen=_HEADER_SPAN)
    after: list[lxml_html.HtmlElement] = []
    h1 = None
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        if h1 is None:
            if el.tag == "h1" and _headline(el):
                h1 = el
            else:
                before.append(el)
        else:
            after.append(el)
            if len(after) >= _HEADER_SPAN:
                break
    if h1 is None:
        return None
    candidates = [(el, i < _HEADER_NEAR) for i, el in enumerate(after)]
    candidates += [(el, False) for el in reversed(before)]
    for el, near in candidates:
        names = f"{el.get('class') or ''} {el.get('itemprop') or ''}".lower()
        if not (near or _DATE_CLASS.search(names)) or _NOT_HEADER.search(names):
            continue
        text = " ".join(el.text_content().split())
        text = _UPDATED.split(text, 1)[0]
        if text and len(text) <= 120 and parse_dated(text) and not _in_furniture(el):
            return text
    return None


def _headline(el: lxml_html.HtmlElement) -> bool:
    """An ``<h1>`` that is the page's headline, not the site's logo."""
    names = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    return "logo" not in names and bool(el.text_content().strip())


def _in_furniture(el: lxml_html.HtmlElement) -> bool:
    """Whether an element sits in the page's furniture: a footer, sidebar, navigation,
    comments, related links, or an "updated" line (by tag, class or id). Wider than
    ``_beside_article``, which only knows the tags and roles of menus and asides."""
    for parent in el.iterancestors():
        names = f"{parent.get('class') or ''} {parent.get('id') or ''}".lower()
        if parent.tag in {"footer", "aside", "nav"} or _NOT_HEADER.search(names):
            return True
    return False
