"""Compression bombs: a small body that expands to many zero bytes (gzip, brotli, zstd).

gzip is built in O(size/1 MB):

Each megabyte of zeros is deflated once and ended with a full flush, which byte-aligns the
stream and resets the compressor, so every further megabyte compresses to the same bytes:
the body is one block repeated. Only the CRC-32 of the trailer runs over the whole size
(about 0.3 s per GB), and bodies are cached per size.
"""

from __future__ import annotations

import functools
import struct
import zlib

import brotli

try:
    from compression import zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # before Python 3.14
    from backports import zstd  # type: ignore[import-not-found,no-redef,unused-ignore]

CHUNK = 1 << 20  # bytes of zeros per repeated deflate block


@functools.lru_cache(maxsize=8)
def gzip_bomb(size: int) -> bytes:
    """A gzip member that decompresses to `size` zero bytes."""
    if size <= 0:
        raise ValueError("size must be positive")
    full, rest = divmod(size, CHUNK)
    zeros = bytes(CHUNK)
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip header and trailer
    parts: list[bytes] = []
    crc = 0
    if full:
        first = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
        parts.append(first)
        if full > 1:
            repeated = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
            parts.append(repeated * (full - 1))
        for _ in range(full):
            crc = zlib.crc32(zeros, crc)
    if rest:
        parts.append(comp.compress(bytes(rest)))
        crc = zlib.crc32(bytes(rest), crc)
    # End the deflate stream, drop zlib's own trailer and write the true one.
    tail = comp.flush(zlib.Z_FINISH)[:-8]
    parts.append(tail + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
    return b"".join(parts)


@functools.lru_cache(maxsize=8)
def bomb(size: int, encoding: str = "gzip") -> bytes:
    """A body in Content-Encoding ``encoding`` that decodes to ``size`` zero bytes. brotli
    and zstd compress every megabyte (about 1 s a GB): keep their sizes to what a test needs."""
    if encoding == "gzip":
        return gzip_bomb(size)
    if size <= 0:
        raise ValueError("size must be positive")
    full, rest = divmod(size, CHUNK)
    zeros = bytes(CHUNK)
    if encoding == "br":
        br = brotli.Compressor(quality=5)
        parts = [br.process(zeros) for _ in range(full)]
        return b"".join([*parts, br.process(bytes(rest)), br.finish()])
    if encoding == "zstd":
        zs = zstd.ZstdCompressor()
        parts = [zs.compress(zeros) for _ in range(full)]
        return b"".join([*parts, zs.compress(bytes(rest)), zs.flush()])
    raise ValueError(f"no bomb in {encoding!r}")
