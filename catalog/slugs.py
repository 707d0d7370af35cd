"""GitHub's heading anchors: the slug of a heading's text and the -1, -2 suffixes of repeats."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

__all__ = ["Slugger", "slugify"]


@lru_cache(maxsize=4096)
def _keep(char: str) -> bool:
    # GitHub (html-pipeline's TableOfContentsFilter) removes /[^\p{Word}\- ]/u after
    # downcasing: \p{Word} is letters, marks, numbers and connector punctuation ("_").
    if char in "- ":
        return True
    category = unicodedata.category(char)
    return category[0] in "LMN" or category == "Pc"


def slugify(text: str) -> str:
    """The anchor GitHub gives a heading whose plain text is *text*.

    >>> slugify("What's Inside"), slugify("# companies"), slugify("A companies")
    ('whats-inside', '-companies', 'a-companies')
    """
    lowered = text.lower()
    return "".join(c for c in lowered if _keep(c)).replace(" ", "-")


class Slugger:
    """Slugs for the headings of one document, in order, with github-slugger's suffixes.

    A slug already handed out gets ``-1``, ``-2``, ... appended (counting per base slug),
    and the suffixed slug is registered too, so a later heading literally named
    "Foo 1" does not collide with the second "Foo".
    """

    def __init__(self) -> None:
        self._occurrences: dict[str, int] = {}

    def slug(self, text: str) -> str:
        original = slugify(text)
        result = original
        while result in self._occurrences:
            self._occurrences[original] += 1
            result = f"{original}-{self._occurrences[original]}"
        self._occurrences[result] = 0
        return result

    def reset(self) -> None:
        self._occurrences.clear()
