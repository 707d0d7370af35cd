"""catalog.inflate: the one capped decompressor, against real bombs served by the offline web.

Memory is the point of the cap, so it is measured (tracemalloc's peak of the decoding
call): a bomb costs a small multiple of the cap, never what it would expand to.
"""

from __future__ import annotations

import gzip
import tracemalloc
import urllib.request
import zlib
from pathlib import Path

import brotli
import pytest

from catalog.inflate import ENCODINGS, InflateError, inflate, read_capped
from jobs.cli import run as cli_run
from jobs.offlineweb import OfflineWeb, Page, Web
from jobs.offlineweb.bomb import bomb, zstd

CAP = 1 << 20
BOMBS = [("gzip", 1 << 30), ("br", 1 << 28), ("zstd", 1 << 28), ("deflate", 1 << 28)]


def _deflate_bomb(size: int) -> bytes:
    comp = zlib.compressobj(9)
    zeros = bytes(1 << 20)
    return b"".join([*(comp.compress(zeros) for _ in range(size >> 20)), comp.flush()])


def _bomb(encoding: str, size: int) -> bytes:
    return _deflate_bomb(size) if encoding == "deflate" else bomb(size, encoding)


@pytest.mark.parametrize(("encoding", "size"), BOMBS)
def test_a_bomb_costs_the_cap_not_its_expansion(encoding: str, size: int) -> None:
    body = _bomb(encoding, size)
    assert len(body) * 200 < size  # a real bomb
    tracemalloc.start()
    try:
        out, cut = inflate(body, encoding, CAP)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (out, cut) == (bytes(CAP), True)
    assert peak < 4 * CAP, f"{encoding}: {peak} bytes for a cap of {CAP}"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_coding_decodes_whole_and_says_when_it_cut(encoding: str) -> None:
    text = b"<title>page</title>" * 1000
    packed = {
        "gzip": gzip.compress,
        "x-gzip": gzip.compress,
        "deflate": zlib.compress,
        "br": brotli.compress,
        "zstd": zstd.compress,
    }[encoding](text)
    assert inflate(packed, encoding.upper() + " ", len(text)) == (text, False)
    assert inflate(packed, encoding, 100) == (text[:100], True)
    with pytest.raises(InflateError):
        inflate(b"not " + packed, encoding, CAP)


def test_codings_are_undone_in_reverse_and_unknown_ones_refused() -> None:
    text = b"twice packed"
    assert inflate(brotli.compress(gzip.compress(text)), "gzip, br", CAP) == (text, False)
    assert inflate(text, "identity", CAP) == (text, False)
    assert inflate(zlib.compress(text)[2:-4], "deflate", CAP) == (text, False)  # raw deflate
    with pytest.raises(InflateError, match="compress"):
        inflate(text, "compress", CAP)


def test_a_bomb_over_http_is_read_and_decoded_to_the_cap() -> None:
    web = Web()
    site = web.host("127.0.3.9")
    for encoding in ("gzip", "br", "zstd"):
        site.page(f"/{encoding}", Page(bomb_size=1 << 28, bomb_encoding=encoding))
    with OfflineWeb(web) as ow:
        for encoding in ("gzip", "br", "zstd"):
            with urllib.request.urlopen(ow.url("127.0.3.9", f"/{encoding}"), timeout=10) as r:
                assert read_capped(r, CAP) == (bytes(CAP), True), encoding


def test_extract_decodes_what_it_fetches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = b"<html><head><title>Packed page</title></head><body>text</body></html>"
    web = Web()
    site = web.host("127.0.3.10")
    for encoding, pack in (("br", brotli.compress), ("zstd", zstd.compress)):
        (tmp_path / encoding).write_bytes(pack(html))
        site.page(
            f"/{encoding}",
            Page(body_file=str(tmp_path / encoding), headers={"Content-Encoding": encoding}),
        )
    with OfflineWeb(web) as ow:
        for encoding in ("br", "zstd"):
            code = cli_run(["extract", ow.url("127.0.3.10", f"/{encoding}")])
            out = capsys.readouterr().out
            assert code == 0 and '"title": "Packed page"' in out, encoding
