"""Small pages of our own: an article, its ordinary edits, another site's
page, and one lander for each rule (so a clone without ../shared tests every rule)."""

from __future__ import annotations

ARTICLE_TEXT = (
    "Consistent hashing spreads keys over a ring of servers so that adding or removing a "
    "server moves only a small share of the keys. Each server owns the arc of the ring "
    "before it, and a key belongs to the first server found walking clockwise from the "
    "hash of the key. Virtual nodes give every physical server many points on the ring, "
    "which evens out the load when servers differ in size. Replication places copies of "
    "each key on the next servers along the ring, so a failed server's keys are still "
    "served while it is replaced. The technique first appeared in work on distributed "
    "caching for the web and is now used by storage systems, load balancers and message "
    "brokers alike. Choosing the number of virtual nodes is a trade between memory for "
    "the ring and evenness of the load; a few hundred per server is a common choice."
)
COMMENT = (
    "Great write-up! One question: how do you rebalance when a whole zone goes down and "
    "half the virtual nodes disappear at once?"
)


def article(
    *,
    title: str = "Understanding consistent hashing",
    site: str = "Ring Notes",
    lang: str = "en",
    canonical: str = "https://ringnotes.example/posts/consistent-hashing",
    text: str = ARTICLE_TEXT,
    comments: tuple[str, ...] = (),
    redesign: bool = False,
    ad: str = "top",
) -> str:
    """A blog post; ``redesign`` changes every piece of the template but the article."""
    paragraphs = "".join(f"<p>{p.strip()}.</p>" for p in text.split(". ") if p.strip())
    comment_html = "".join(f'<div class="comment"><p>{c}</p></div>' for c in comments)
    ad_html = '<div class="ad">Sponsored: try our cloud database today</div>'
    if redesign:
        return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>{title} · {site}</title><meta property="og:site_name" content="{site}">
<link rel="canonical" href="{canonical}"><link rel="stylesheet" href="/new/theme.css">
</head><body><div id="app"><header class="top-bar"><a href="/">{site}</a>
<nav><a href="/archive">Archive</a><a href="/talks">Talks</a><a href="/now">Now</a></nav>
</header><main><article><h1 class="headline">{title}</h1>{paragraphs}</article>
<section class="responses"><h2>Responses</h2>{comment_html}</section></main>
<footer><p>Made with a static site generator. Subscribe by RSS.</p></footer></div>
</body></html>"""
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>{title} | {site}</title><meta property="og:site_name" content="{site}">
<link rel="canonical" href="{canonical}"></head><body>
<div class="masthead"><a href="/">{site}</a> <a href="/about">About</a></div>
{ad_html if ad == "top" else ""}
<article><h1>{title}</h1><p class="byline">By Jane Roe, 3 May 2021</p>{paragraphs}</article>
<div id="comments">{comment_html}</div>
{ad_html if ad == "bottom" else ""}
<div class="footer">© 2021 {site}. All rights reserved.</div></body></html>"""


OTHER_SITE = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>Günstige Ferienwohnungen am See | Seeblick Reisen</title>
<meta property="og:site_name" content="Seeblick Reisen">
<link rel="canonical" href="https://seeblick-reisen.example/angebote"></head><body>
<h1>Günstige Ferienwohnungen am See</h1>
<p>Unsere Ferienwohnungen liegen direkt am Ufer und bieten Platz für bis zu sechs Personen.
Buchen Sie jetzt für den Sommer und sichern Sie sich den Frühbucherrabatt von zehn Prozent.
Alle Wohnungen haben eine Küche, einen Balkon mit Seeblick und einen eigenen Parkplatz.
Haustiere sind auf Anfrage willkommen. Die Anreise ist täglich ab sechzehn Uhr möglich.</p>
</body></html>"""

# A different article on the same site: same site name, language and host.
SAME_SITE_OTHER_POST = article(
    title="Sourdough starters for beginners",
    text=(
        "A sourdough starter is flour and water left to ferment until wild yeast and lactic "
        "bacteria take over. Feed it every day with equal weights of flour and water, keep "
        "it warm, and discard half before each feeding. After a week it should double in "
        "size within a few hours of a feeding and smell pleasantly sour. Rye flour speeds "
        "things up because it carries more wild yeast than white flour. Once it is lively, "
        "a starter can live in the fridge and be fed once a week before a bake."
    ),
)

FOR_SALE = """<html><head><title>ringnotes.example</title></head><body>
<h1>ringnotes.example</h1><p>This domain is for sale!</p>
<p>Make an offer on this domain today. Secure transfer, fast delivery.</p>
<a href="/offer">Buy now</a></body></html>"""

PARKED_SCRIPT = """<html><head><title>ringnotes.example</title>
<script src="https://cdn.parkinghost.example/js/parking-lander.js"></script></head>
<body><div id="target"></div><p>Related searches</p></body></html>"""

PARKED_LISTINGS = """<html><head><title>ringnotes.example - Resources and Information</title>
</head><body><h2>ringnotes.example</h2><p>Buy this premium domain name</p>
<ul><li>Sponsored listings</li><li>Cloud Hosting</li><li>Database Course</li></ul>
</body></html>"""

SUSPENDED = """<html><head><title>Account Suspended</title></head><body>
<h1>This Account has been suspended.</h1>
<p>Contact your hosting provider for more information.</p></body></html>"""

DEFAULT_SERVER = """<html><head><title>Test Page for the HTTP Server</title></head><body>
<h1>It works!</h1><p>If you can see this page, the web server is working properly.
You should replace this file before continuing to operate your HTTP server.</p>
</body></html>"""

INDEX_OF = """<html><head><title>Index of /posts</title></head><body>
<h1>Index of /posts</h1><table><tr><th>Name</th><th>Last modified</th><th>Size</th></tr>
<tr><td><a href="/">Parent Directory</a></td><td></td><td>-</td></tr>
<tr><td><a href="old.tar.gz">old.tar.gz</a></td><td>2019-04-01 10:00</td><td>2.1K</td></tr>
</table></body></html>"""

PLACEHOLDER = """<html><head><title>Congratulations!</title></head><body>
<h1>Congratulations!</h1><p>You have registered your domain ringnotes.example.</p>
<p>Choose a hosting plan to put your website online.</p></body></html>"""

# An article about parking domains is an article, not a lander.
ABOUT_PARKING = article(
    title="What happens when this domain is for sale",
    text=(ARTICLE_TEXT + " ")
    * 2
    + " Parked domains show ads; a domain is parked when its owner has no site for it. "
    "This domain is for sale, a lander says, and a reader who followed an old link lands on "
    "it. " * 40,
)

LANDERS = {
    "for-sale": FOR_SALE,
    "parking-script": PARKED_SCRIPT,
    "parking-listings": PARKED_LISTINGS,
    "suspended": SUSPENDED,
    "default-server": DEFAULT_SERVER,
    "index-of": INDEX_OF,
    "placeholder": PLACEHOLDER,
}

# Ordinary edits, as (the page first checked, the page later): none of them is a change.
EDITS = {
    "title-typo-fixed": (article(title="Understading consistent hasing"), article()),
    "title-edited": (article(), article(title="Consistent hashing, explained in ten minutes")),
    "title-reworded": (article(), article(title="Rings, virtual nodes and replicas")),
    "comment-added": (article(), article(comments=(COMMENT, COMMENT.replace("zone", "region")))),
    "redesign": (article(), article(redesign=True)),
    "ad-moved": (article(), article(ad="bottom")),
}
