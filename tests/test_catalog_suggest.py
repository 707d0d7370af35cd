"""catalog.suggest: section suggestion for new articles, and its hold-out accuracy on the seed."""

from __future__ import annotations

import pytest

from catalog.parsed import ParsedDocument
from catalog.readme_parser import parse_markdown
from catalog.suggest import (
    SIGNALS,
    WEIGHTS,
    Rule,
    Weights,
    company_name,
    evidence,
    family_resemblance,
    feed_hint,
    holdout_accuracy,
    initial_letter,
    letter_group,
    plain_name,
    rule_match,
    suggest_section,
    topic_overlap,
)
from tests.conftest import SHARED, needs_shared, require

SEED = SHARED / "seeds" / "README.md"

UBER = "How Uber Computes ETA at Half a Million Requests per Second"
UBER_URL = "https://newsletter.systemdesign.one/p/uber-eta"


@pytest.fixture(scope="module")
def seed() -> ParsedDocument:
    require(SEED)
    return parse_markdown(SEED.read_text(encoding="utf-8"))


def _sections(parsed: ParsedDocument, *, without: str | None = None) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    for item in parsed.items:
        if item.heading is None or item.title == without:
            continue
        sections.setdefault(parsed.headings[item.heading].text, []).append(item.title)
    for heading in parsed.headings:
        if letter_group(heading.text):
            sections.setdefault(heading.text, [])
    return sections


@needs_shared()
def test_uber_goes_under_u_companies(seed: ParsedDocument) -> None:
    for without in (None, UBER):  # with the entry in the list, and as a new article
        suggestion = suggest_section(UBER, UBER_URL, sections=_sections(seed, without=without))
        assert suggestion.section == "U companies"
        assert "company 'uber'" in suggestion.reason
    heading = next(h for h in seed.headings if h.text == "U companies")
    assert heading.path[-2] == "System Design Case Study"


@needs_shared()
def test_new_company_goes_to_its_letter(seed: ParsedDocument) -> None:
    sections = _sections(seed)
    suggestion = suggest_section(
        "How Vercel Serves a Billion Requests per Day", "https://x.example/v", sections=sections
    )
    # the seed has no "V companies" section and suggest_section never invents one: with no
    # section for the subject's letter, a weaker signal decides (here "Serves" -> S), which
    # a maintainer must correct; documented as a limitation
    assert suggestion.section is not None and "company" not in suggestion.reason
    lyft = suggest_section(
        "How Lyft Scaled Its Dispatch System", "https://x.example/l", sections=sections
    )
    assert lyft.section != "U companies"
    kafka = suggest_section("How Kafka Streams Works", "https://x.example/k", sections=sections)
    assert kafka.section == "K technologies"


def test_letter_group() -> None:
    assert letter_group("U companies") == ("U", "companies")
    assert letter_group("# companies") == ("#", "companies")
    assert letter_group("\\# companies") == ("#", "companies")
    assert letter_group("X white papers") == ("X", "white papers")
    assert letter_group("System Design Case Study") is None
    assert letter_group("Fundamentals") is None


def test_topic_overlap_for_plain_sections() -> None:
    sections = {
        "Databases": ["Sharding Postgres", "Postgres Replication Explained"],
        "Frontend": ["React Rendering Deep Dive", "CSS Grid Layouts"],
    }
    suggestion = suggest_section("Logical Replication in Postgres 16", "", sections=sections)
    assert suggestion.section == "Databases" and "topic overlap" in suggestion.reason


def test_feed_hint_and_rules() -> None:
    sections = {"News": ["Release notes"], "Talks": ["A talk"]}
    hinted = suggest_section(
        "Something new", "https://x.example/a", sections=sections, feed_hint="Talks"
    )
    assert hinted.section == "Talks" and "feed hint" in hinted.reason
    ruled = suggest_section(
        "Something new",
        "https://youtube.example/watch?v=1",
        sections=sections,
        rules=[Rule(pattern=r"youtube\.", section="Talks", on="url")],
    )
    assert ruled.section == "Talks" and "rule" in ruled.reason
    forced = suggest_section(
        "A talk about release notes",
        "https://trusted.example/post",
        sections=sections,
        rules=[Rule(pattern=r"^https://trusted\.example/", section="News", override=True)],
    )
    assert forced.section == "News" and forced.reason.startswith("rule")
    assert suggest_section("x", "y", sections={}).section is None


# Measured on the seed (hold each entry of a letter-group section out, suggest its section
# among all 40 headings that hold entries plus the empty letter sections, compare):
#   company groups ("A companies" ... "Z companies", "# companies"): 49 / 60 = 0.817
#   all letter groups (companies, technologies, interview, white papers): 56 / 73 = 0.767
# The misses: the four "# companies" entries (no company to read), titles whose company
# also heads an interview section (Airbnb, WhatsApp), names the list never used before
# with a generic first word ("Virtual Waiting Room ... at SeatGeek"), "How to Scale an App
# ... on GCP" (GCP for Google), and single-entry technology and interview sections.
COMPANIES_FLOOR = (49, 60)
ALL_FLOOR = (56, 73)


@needs_shared()
def test_holdout_accuracy_on_seed(seed: ParsedDocument) -> None:
    correct, total = holdout_accuracy(seed, families=["companies"])
    print(f"hold-out, company groups: {correct}/{total} = {correct / total:.3f}")
    assert total == COMPANIES_FLOOR[1]
    assert correct >= COMPANIES_FLOOR[0] and correct / total >= 0.8
    correct_all, total_all = holdout_accuracy(seed)
    print(f"hold-out, all letter groups: {correct_all}/{total_all} = {correct_all / total_all:.3f}")
    assert total_all == ALL_FLOOR[1]
    assert correct_all >= ALL_FLOOR[0]


@needs_shared()
def test_holdout_skips_relative_links_under_letter_headings(seed: ParsedDocument) -> None:
    # the learning-path table rows that the README's interleaving puts under "K companies"
    # are not held out: only the Khan Academy entry counts there
    correct, total = holdout_accuracy(seed, families=["companies"])
    k_items = [
        item
        for item in seed.items
        if item.heading is not None and seed.headings[item.heading].text == "K companies"
    ]
    assert len(k_items) == 4 and total == 60
    assert correct <= total


# Each signal on its own, on small lists of our own (weights from WEIGHTS).
COMPANIES = {
    "U companies": ["How Uber Computes ETA", "How Uber Finds Nearby Drivers"],
    "L companies": ["How Lyft Scaled Its Dispatch"],
    "V companies": [],
}


def test_signal_company_name() -> None:
    ev = evidence("How Uber Shards Its Trips", "", COMPANIES)
    assert company_name(ev, "U companies") == (
        WEIGHTS.company,
        ["company 'uber' already in 'U companies'"],
    )
    assert company_name(ev, "L companies") == (0.0, [])
    # a known name that is not the subject counts less
    later = evidence("Payments at Uber", "", COMPANIES)
    assert later.names[0] == "payments"
    assert company_name(later, "U companies")[0] == WEIGHTS.company * WEIGHTS.company_not_subject


def test_signal_initial_letter() -> None:
    ev = evidence("How Vercel Serves Edge Functions", "", COMPANIES)
    assert initial_letter(ev, "V companies") == (WEIGHTS.letter, ["initial letter V"])
    # "Lambda" is a name but not the subject
    other = evidence("How Vercel Runs Lambda", "", COMPANIES)
    assert initial_letter(other, "L companies") == (
        WEIGHTS.letter_other_name,
        ["a name starting with L"],
    )
    assert initial_letter(ev, "U companies") == (0.0, [])


def test_signal_family_resemblance() -> None:
    sections = {
        **COMPANIES,
        "S interview": ["System Design Interview: Design Spotify"],
        "T interview": ["System Design Interview: Design Twitter"],
    }
    ev = evidence("System Design Interview: Design Vimeo", "", sections)
    assert family_resemblance(ev, "S interview") == (WEIGHTS.family, ["like the interview titles"])
    score, why = family_resemblance(ev, "V companies")
    assert score < WEIGHTS.family and why == []


def test_signal_plain_name_and_topic_overlap() -> None:
    sections = {"Databases": ["Postgres Replication Explained"], "Frontend": ["CSS Grid Layouts"]}
    ev = evidence("Postgres Replication Pitfalls", "", sections)
    assert plain_name(ev, "Databases") == (
        WEIGHTS.plain_name,
        ["name 'postgres' already in 'Databases'"],
    )
    assert plain_name(ev, "Frontend") == (0.0, [])
    score, why = topic_overlap(ev, "Databases")
    assert 0 < score <= WEIGHTS.topic and why and why[0].startswith("topic overlap")
    assert topic_overlap(ev, "Frontend") == (0.0, [])


def test_signal_feed_hint_and_rule_match() -> None:
    sections = {"Talks": ["A talk"], "News": ["Release notes"]}
    ev = evidence("Anything", "https://video.example/1", sections, feed_hint="Talks")
    assert feed_hint(ev, "Talks") == (WEIGHTS.hint_names_it, ["feed hint names it"])
    worded = evidence("Anything", "", sections, feed_hint="Conference talks")
    assert feed_hint(worded, "Talks") == (WEIGHTS.hint_word, ["feed hint"])
    rule = Rule(pattern=r"video\.", section="Talks", on="url", weight=2.5)
    ruled = evidence("Anything", "https://video.example/1", sections, rules=[rule])
    assert rule_match(ruled, "Talks") == (2.5, [r"rule 'video\\.'"])
    assert rule_match(ruled, "News") == (0.0, [])


def test_signals_and_weights_are_the_suggestion() -> None:
    # the suggestion is the sum of the signals: without the company weight, the letter of
    # the subject alone no longer beats a topic match elsewhere
    assert len(SIGNALS) == 7
    title = "How Uber Shards Its Trips"
    assert suggest_section(title, "", sections=COMPANIES).section == "U companies"
    flat = Weights(company=0.0, letter=0.0, family=0.0)
    scores = suggest_section(title, "", sections=COMPANIES, weights=flat).scores
    assert (
        scores["U companies"] < suggest_section(title, "", sections=COMPANIES).scores["U companies"]
    )


# A list of our own for the hold-out measure (the seed's figures are in the corpus suite).
SMALL_LIST = """\
# Case studies

## System Design Case Study

### L companies

- [How Lyft Matches Riders](https://a.example/lyft-1)
- [Lyft's Dispatch at Scale](https://a.example/lyft-2)

### U companies

- [How Uber Computes ETA](https://a.example/uber-1)
- [Uber's Geospatial Index](https://a.example/uber-2)
- [How Vimeo Streams Video](https://a.example/vimeo)
- [Learning path](docs/path.md)

### K technologies

- [How Kafka Stores Logs](https://a.example/kafka-1)
- [Kafka Consumer Groups Explained](https://a.example/kafka-2)

### V companies

## Fundamentals

- [Consistent Hashing](https://a.example/hash)
"""


def test_holdout_accuracy_on_a_small_list() -> None:
    parsed = parse_markdown(SMALL_LIST)
    # Five company entries held out (the relative link is no case study, the Fundamentals
    # entry is in no letter group); the Vimeo entry filed under U goes to the empty V.
    assert holdout_accuracy(parsed, families=["companies"]) == (4, 5)
    assert holdout_accuracy(parsed) == (6, 7)  # the technologies too
    assert holdout_accuracy(parsed, families=["interview"]) == (0, 0)


def test_a_name_said_twice_counts_once() -> None:
    sections = {"U companies": ["How Uber Computes ETA"], "Fundamentals": ["Consistent Hashing"]}
    suggestion = suggest_section("Uber at Uber scale", "https://x.example/u", sections=sections)
    assert suggestion.section == "U companies"
    assert suggestion.reason.count("company 'uber'") == 1
