"""The Scrapy internals that crawler/ overrides or calls, pinned by shape.

crawler/downloader.py copies ``Downloader._process_queue`` with one line added,
crawler/scheduling.py replaces ``DownloaderAwarePriorityQueue._next_slot`` and
crawler/middlewares/hostpolicy.py pauses a slot with ``call_later`` and ``_latercall``. None
of these is public API: a Scrapy release may change them without notice, and the override
would then drift from the code it copies without any error. pyproject pins the release line
they were written against; these tests fail loudly, naming what to re-read, when it changes.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import tokenize
from collections.abc import Callable
from typing import Any

import pytest
from scrapy.core.downloader import Downloader, Slot
from scrapy.pqueues import DownloaderAwarePriorityQueue
from scrapy.utils import asyncio as scrapy_asyncio
from scrapy.utils import defer as scrapy_defer

from crawler.downloader import PoliteDownloader
from crawler.scheduling import BusiestHostFirstQueue


def code_fingerprint(func: Callable[..., Any]) -> str:
    """A hash of a function's tokens without comments and layout: its code, not its prose."""
    source = inspect.getsource(func)
    kept = [
        tok.string
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type
        not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
        and not (tok.type == tokenize.STRING and tok.string.startswith(('"""', "'''")))
    ]
    return hashlib.sha256(" ".join(kept).encode()).hexdigest()[:16]


# What each copied or replaced method was when crawler/ was written against it.
COPIED = {
    "scrapy.core.downloader.Downloader._process_queue": (
        Downloader._process_queue,
        "crawler/downloader.py",
    ),
    "scrapy.pqueues.DownloaderAwarePriorityQueue._next_slot": (
        DownloaderAwarePriorityQueue._next_slot,
        "crawler/scheduling.py",
    ),
}
FINGERPRINTS = {
    "scrapy.core.downloader.Downloader._process_queue": "223d4de874705b8b",
    "scrapy.pqueues.DownloaderAwarePriorityQueue._next_slot": "125dc3539486ae10",
}


@pytest.mark.parametrize("name", sorted(COPIED))
def test_copied_methods_are_unchanged(name: str) -> None:
    func, ours = COPIED[name]
    assert code_fingerprint(func) == FINGERPRINTS[name], (
        f"Scrapy's {name} changed: re-read it and bring {ours} in line, then update "
        "FINGERPRINTS in this file"
    )


@pytest.mark.parametrize(
    ("func", "params"),
    [
        (Downloader._process_queue, ["self", "slot"]),
        (Downloader._latercall, ["self", "slot"]),
        (Downloader._wait_for_download, ["self", "slot", "request", "queue_dfd"]),
        (DownloaderAwarePriorityQueue._next_slot, ["self", "stats", "update_state"]),
        (scrapy_defer._schedule_coro, ["coro"]),
        (scrapy_asyncio.call_later, ["delay", "func", "args"]),
    ],
    ids=lambda v: getattr(v, "__qualname__", "params"),
)
def test_called_internals_keep_their_signatures(
    func: Callable[..., Any], params: list[str]
) -> None:
    assert list(inspect.signature(func).parameters) == params, (
        f"Scrapy's {func.__module__}.{func.__qualname__} changed its parameters"
    )


def test_slot_keeps_the_fields_the_overrides_use() -> None:
    slot = Slot(concurrency=2, delay=0.0)
    for field in ("queue", "transferring", "lastseen", "latercall", "concurrency", "active"):
        assert hasattr(slot, field), f"scrapy.core.downloader.Slot lost {field!r}"
    assert callable(slot.download_delay) and callable(slot.free_transfer_slots)


def test_next_slot_state_is_the_one_pop_reads() -> None:
    """Our ``_next_slot`` writes ``_last_selected_slot``, which Scrapy's own reads."""
    assert "_last_selected_slot" in inspect.getsource(DownloaderAwarePriorityQueue._next_slot)
    assert "_next_slot(" in inspect.getsource(DownloaderAwarePriorityQueue.pop)


def test_the_overrides_still_override() -> None:
    assert PoliteDownloader._process_queue is not Downloader._process_queue
    assert BusiestHostFirstQueue._next_slot is not DownloaderAwarePriorityQueue._next_slot
