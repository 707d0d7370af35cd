"""Each crawl component on its own, through Scrapy's test crawler (scrapy.utils.test).

The end-to-end crawls (test_crawling.py, test_check.py) show the components together on
the offline web; these pin what each one decides, branch by branch, without a download.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import ipaddress
import time
from collections.abc import Coroutine, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import twisted.internet
from scrapy import Request, signals
from scrapy.core.downloader import Slot
from scrapy.exceptions import NotConfigured, StopDownload
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.squeues import FifoMemoryQueue
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred, succeed
from twisted.python.failure import Failure

from crawler import downloader as polite
from crawler.downloader import PoliteDownloader
from crawler.extensions.bodycap import BodyCap
from crawler.middlewares import hostpolicy as hostpolicy_module
from crawler.middlewares.decompress import DecompressMiddleware
from crawler.middlewares.hostpolicy import HostPolicyMiddleware, retry_after_seconds
from crawler.middlewares.privateguard import PrivateAddressError, PrivateGuardMiddleware
from crawler.scheduling import BusiestHostFirstQueue
from crawler.settings import SETTINGS

URL = "https://example.org/page"


def crawler_with(**settings: Any) -> Any:
    return get_crawler(settings_dict={**SETTINGS, **settings})


# --- retry_after_seconds ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 7.0), ("", 7.0), ("120", 120.0), (" 3 ", 3.0), ("soon", 7.0), ("-5", 7.0)],
)
def test_retry_after_seconds_numbers_and_garbage(value: str | None, expected: float) -> None:
    assert retry_after_seconds(value, 7.0) == expected


def test_retry_after_seconds_reads_an_http_date() -> None:
    later = email.utils.formatdate(time.time() + 90, usegmt=True)
    assert 80 < retry_after_seconds(later, 7.0) <= 90
    past = email.utils.formatdate(time.time() - 3600, usegmt=True)
    assert retry_after_seconds(past, 7.0) == 0.0


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time five hours behind GMT (restored after the test)."""
    monkeypatch.setenv("TZ", "EST+05")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    "form",
    [
        "%a, %d %b %Y %H:%M:%S GMT",  # IMF-fixdate, the preferred form
        "%A, %d-%b-%y %H:%M:%S GMT",  # RFC 850's, obsolete
        "%a %b %e %H:%M:%S %Y",  # asctime's, obsolete: names no zone, still GMT
    ],
)
def test_retry_after_seconds_reads_every_http_date_form_as_gmt(form: str, new_york: None) -> None:
    """RFC 9110 (section 5.6.7): a recipient reads all three forms, each in GMT, whatever
    the machine's local time."""
    later = time.strftime(form, time.gmtime(time.time() + 90))
    assert 80 < retry_after_seconds(later, 7.0) <= 90


# --- HostPolicyMiddleware --------------------------------------------------------------


def hostpolicy(**settings: Any) -> HostPolicyMiddleware:
    """The middleware on a crawler whose engine has a downloader (no crawl runs)."""
    crawler = crawler_with(**settings)
    crawler.engine = SimpleNamespace(downloader=PoliteDownloader(crawler))
    return HostPolicyMiddleware.from_crawler(crawler)


def answer(status: int, retry_after: str | None = None) -> Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Response(URL, status=status, headers=headers)


def test_hostpolicy_is_switched_by_its_setting() -> None:
    with pytest.raises(NotConfigured):
        hostpolicy(HOSTPOLICY_ENABLED=False)


@pytest.mark.parametrize("status", [200, 404, 500])
def test_hostpolicy_passes_other_answers(status: int) -> None:
    response = answer(status, "5")
    assert hostpolicy().process_response(Request(URL), response) is response


def test_a_plain_503_is_left_to_the_retry_middleware() -> None:
    response = answer(503)
    assert hostpolicy().process_response(Request(URL), response) is response


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_within_the_cap_sends_the_request_again(status: int) -> None:
    again = hostpolicy().process_response(Request(URL), answer(status, "2"))
    assert isinstance(again, Request)
    assert again.dont_filter and again.meta["hostpolicy_pauses"] == 1


def test_a_pause_holds_the_hosts_slot_and_lowers_its_concurrency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[float] = []

    class Pending:
        def cancel(self) -> None:
            calls.append(-1)

    def call_later(wait: float, *_: Any) -> Pending:
        calls.append(wait)
        return Pending()

    monkeypatch.setattr(hostpolicy_module, "call_later", call_later)
    mw = hostpolicy()
    slots = mw.crawler.engine.downloader.slots
    slots["example.org"] = slot = Slot(concurrency=2, delay=0.0)
    request = Request(URL, meta={"download_slot": "example.org"})
    mw.process_response(request, answer(429, "4"))
    assert calls == [4.0] and slot.latercall is not None and slot.concurrency == 1
    mw.process_response(request, answer(429, "4"))
    assert calls == [4.0, -1, 4.0]  # the pause restarts
    assert slot.concurrency == 1  # never below one


def test_a_retry_after_past_the_cap_passes_the_answer_flagged() -> None:
    response = answer(429, "100000")
    out = hostpolicy(HOSTPOLICY_RETRY_AFTER_MAX=60).process_response(Request(URL), response)
    assert out is response and "retry_after_exceeded" in response.flags


def test_pauses_are_bounded_per_request() -> None:
    mw = hostpolicy(HOSTPOLICY_MAX_PAUSES=3)
    tried = Request(URL, meta={"hostpolicy_pauses": 3})
    assert isinstance(mw.process_response(tried, answer(429, "1")), Response)
    # A 503 in maintenance earns one pause, whatever the setting.
    once = Request(URL, meta={"hostpolicy_pauses": 1})
    assert isinstance(mw.process_response(once, answer(503, "1")), Response)
    assert isinstance(mw.process_response(Request(URL), answer(503, "1")), Request)


# --- PrivateGuardMiddleware ------------------------------------------------------------


def guard(**settings: Any) -> PrivateGuardMiddleware:
    return PrivateGuardMiddleware.from_crawler(crawler_with(**settings))


def test_the_guard_is_switched_by_its_setting() -> None:
    with pytest.raises(NotConfigured):
        guard(PRIVATEGUARD_ENABLED=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
    ],
)
def test_the_guard_refuses_private_addresses(url: str) -> None:
    with pytest.raises(PrivateAddressError):
        asyncio.run(guard().process_request(Request(url)))


def test_the_guard_lets_public_addresses_and_allowed_networks_through() -> None:
    assert asyncio.run(guard().process_request(Request("http://93.184.215.14/"))) is None
    allowed = guard(PRIVATEGUARD_ALLOW_NETWORKS=["127.0.0.0/8"])
    assert allowed.allowed == [ipaddress.ip_network("127.0.0.0/8")]
    assert asyncio.run(allowed.process_request(Request("http://127.0.4.17/"))) is None
    with pytest.raises(PrivateAddressError):
        asyncio.run(allowed.process_request(Request("http://10.0.0.1/")))


class Resolver:
    """The reactor's resolver (Twisted's IResolverSimple) with fixed answers: names here
    cannot be looked up in DNS. Each name asked is noted."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def getHostByName(self, name: str, timeout: Any = None) -> Deferred[str]:
        self.asked.append(name)
        return succeed(self.answers[name])


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    """The guard's resolver, without installing a reactor in the test process."""
    stand_in = Resolver(
        {"intranet.test": "10.20.30.40", "public.test": "93.184.215.14", "lab.test": "127.0.4.9"}
    )
    monkeypatch.setattr(
        twisted.internet, "reactor", SimpleNamespace(resolver=stand_in), raising=False
    )
    return stand_in


def test_the_guard_judges_a_name_by_the_address_it_resolves_to(resolver: Resolver) -> None:
    with pytest.raises(PrivateAddressError, match=r"intranet\.test is 10\.20\.30\.40"):
        asyncio.run(guard().process_request(Request("http://intranet.test/page")))
    assert asyncio.run(guard().process_request(Request("https://public.test/"))) is None
    allowed = guard(PRIVATEGUARD_ALLOW_NETWORKS=["127.0.4.0/24"])
    assert asyncio.run(allowed.process_request(Request("http://lab.test:8080/"))) is None
    assert resolver.asked == ["intranet.test", "public.test", "lab.test"]
    asyncio.run(guard().process_request(Request("http://93.184.215.14/")))
    assert len(resolver.asked) == 3  # an address is not looked up


# --- DecompressMiddleware --------------------------------------------------------------


def decompress(**settings: Any) -> DecompressMiddleware:
    return DecompressMiddleware.from_crawler(crawler_with(**settings))


def test_decompress_is_switched_by_its_setting() -> None:
    with pytest.raises(NotConfigured):
        decompress(DECOMPRESS_ENABLED=False)


def test_decompress_asks_for_what_it_can_undo() -> None:
    request = Request(URL)
    decompress().process_request(request)
    assert b"gzip" in request.headers[b"Accept-Encoding"]


def test_decompress_inflates_and_retypes_the_body() -> None:
    page = b"<html><title>T</title></html>"
    response = Response(URL, body=gzip.compress(page), headers={"Content-Encoding": "gzip"})
    out = decompress().process_response(Request(URL), response)
    assert isinstance(out, HtmlResponse) and out.body == page
    assert b"Content-Encoding" not in out.headers and not out.flags


def test_decompress_stops_at_its_cap_and_says_so() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    response = Response(URL, body=bomb, headers={"Content-Encoding": "gzip"})
    out = decompress(DECOMPRESS_MAX_BYTES=10_000).process_response(Request(URL), response)
    assert len(out.body) <= 10_000 and "decompression_truncated" in out.flags


def test_decompress_judges_a_corrupt_body_on_its_status() -> None:
    response = Response(URL, status=200, body=b"not gzip", headers={"Content-Encoding": "gzip"})
    out = decompress().process_response(Request(URL), response)
    assert out.status == 200 and out.body == b"" and "decompression_failed" in out.flags


def test_decompress_leaves_head_and_plain_answers_alone() -> None:
    mw = decompress()
    plain = TextResponse(URL, body=b"plain", encoding="utf-8")
    assert mw.process_response(Request(URL), plain) is plain
    head = Response(URL, body=b"x", headers={"Content-Encoding": "gzip"})
    assert mw.process_response(Request(URL, method="HEAD"), head) is head


# --- BodyCap ---------------------------------------------------------------------------


def test_bodycap_is_switched_by_its_setting() -> None:
    with pytest.raises(NotConfigured):
        BodyCap.from_crawler(crawler_with(BODYCAP_ENABLED=False))


def test_bodycap_lifts_scrapys_cancel_for_a_big_announced_body() -> None:
    cap = BodyCap.from_crawler(crawler_with(BODYCAP_BYTES=1000))
    big, small, unknown = Request(URL), Request(URL), Request(URL)
    cap.headers_received({}, 50_000_000, big, None)
    cap.headers_received({}, 500, small, None)
    cap.headers_received({}, "UNKNOWN_LENGTH", unknown, None)
    assert big.meta["download_maxsize"] == 0
    assert "download_maxsize" not in small.meta and "download_maxsize" not in unknown.meta


def test_bodycap_stops_the_download_at_the_cap_without_failing_it() -> None:
    cap = BodyCap(limit=1000)
    request = Request(URL)
    cap.bytes_received(b"x" * 600, request, None)
    with pytest.raises(StopDownload) as stopped:
        cap.bytes_received(b"x" * 600, request, None)
    assert stopped.value.fail is False


def test_bodycap_listens_to_the_crawls_download_signals() -> None:
    """The crawl's settings enable the extension, and it hears the download handler's
    signals: a body announced past Scrapy's maxsize is read up to the cap, then stopped."""
    crawler = crawler_with(BODYCAP_BYTES=1000, DOWNLOAD_MAXSIZE=2000)
    request = Request(URL)
    crawler.signals.send_catch_log(
        signals.headers_received, headers={}, body_length=5000, request=request, spider=None
    )
    assert request.meta["download_maxsize"] == 0

    def stops(crawler: Any) -> list[Any]:
        answers = crawler.signals.send_catch_log(
            signals.bytes_received, data=b"x" * 1000, request=request, spider=None
        )
        return [a.value for _, a in answers if isinstance(a, Failure)]

    stopped = stops(crawler)
    assert len(stopped) == 1 and isinstance(stopped[0], StopDownload) and not stopped[0].fail
    assert stops(crawler_with(BODYCAP_ENABLED=False)) == []


# --- BusiestHostFirstQueue -------------------------------------------------------------


def queue_with(pending: dict[str, int]) -> BusiestHostFirstQueue:
    """The queue's choice alone: its per-host queues stand in as lists of that length."""
    q = BusiestHostFirstQueue.__new__(BusiestHostFirstQueue)
    q.pqueues = {host: [None] * n for host, n in pending.items()}  # type: ignore[assignment]
    q._last_selected_slot = None
    return q


def test_the_least_busy_host_in_the_downloader_comes_first() -> None:
    q = queue_with({"a": 1, "b": 50})
    assert q._next_slot([(2, "b"), (0, "a")], update_state=False) == "a"


def test_among_equally_busy_hosts_the_longest_queue_comes_first() -> None:
    q = queue_with({"a": 1, "b": 50, "c": 7})
    assert q._next_slot([(0, "a"), (0, "b"), (0, "c")], update_state=True) == "b"
    assert q._last_selected_slot == "b"
    q._next_slot([(0, "a"), (0, "c")], update_state=False)
    assert q._last_selected_slot == "b"


def scheduler_queue() -> tuple[BusiestHostFirstQueue, PoliteDownloader]:
    """The queue as Scrapy's scheduler makes it, on a crawler whose engine has a downloader."""
    crawler = crawler_with()
    downloader = PoliteDownloader(crawler)
    crawler.engine = SimpleNamespace(downloader=downloader)
    return BusiestHostFirstQueue.from_crawler(crawler, FifoMemoryQueue, ""), downloader


def test_the_scheduler_queue_pops_the_busiest_idle_host_first() -> None:
    q, downloader = scheduler_queue()
    for host, n in (("a.test", 1), ("b.test", 3), ("c.test", 4)):
        for i in range(n):
            q.push(Request(f"https://{host}/{i}"))
    assert len(q) == 8
    # c.test has a request in the downloader: the idle hosts come first, the longest first.
    downloader.slots["c.test"] = busy = Slot(concurrency=2, delay=0.0)
    busy.active.add(Request("https://c.test/in-flight"))
    assert [q.pop().url for _ in range(2)] == ["https://b.test/0", "https://b.test/1"]
    assert {q.pop().url for _ in range(2)} == {"https://a.test/0", "https://b.test/2"}
    busy.active.clear()
    assert [r.url for r in iter(q.pop, None)] == [f"https://c.test/{i}" for i in range(4)]


# --- PoliteDownloader ------------------------------------------------------------------


def test_a_slot_never_starts_more_downloads_than_its_concurrency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The transfer slot is reserved before the download task runs: Scrapy's own loop,
    whose task reserves it only when it first runs, would start all five at once."""
    started: list[Coroutine[Any, Any, Any]] = []
    monkeypatch.setattr(polite, "_schedule_coro", started.append)
    downloader = PoliteDownloader(crawler_with())
    slot = Slot(concurrency=2, delay=0.0)
    for n in range(5):
        slot.queue.append((Request(f"{URL}/{n}"), Deferred()))
    downloader._process_queue(slot)
    assert len(started) == 2 and len(slot.transferring) == 2 and len(slot.queue) == 3
    downloader._process_queue(slot)
    assert len(started) == 2  # no transfer slot free until a download ends
    for coro in started:
        coro.close()


def test_a_slot_with_a_delay_sends_one_request_per_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Coroutine[Any, Any, Any]] = []
    later: list[float] = []
    monkeypatch.setattr(polite, "_schedule_coro", started.append)
    monkeypatch.setattr(polite, "call_later", lambda delay, *_: later.append(delay) or "pending")
    downloader = PoliteDownloader(crawler_with())
    slot = Slot(concurrency=4, delay=10.0, jitter=0)
    for n in range(3):
        slot.queue.append((Request(f"{URL}/{n}"), Deferred()))
    downloader._process_queue(slot)
    assert len(started) == 1 and len(slot.queue) == 2
    assert later and 0 < later[0] <= 10.0 and slot.latercall == "pending"
    downloader._process_queue(slot)  # paused until the call fires
    assert len(started) == 1
    for coro in started:
        coro.close()
