"""Compressed bombs: peak memory of decoding one, capped at 1 MB. Prints figures only.

    python bench/bombs.py [--size-mb 1024]

For each coding, a bomb of SIZE zero bytes is built (jobs.offlineweb.bomb) and decoded in
a fresh process by ``catalog.inflate`` and, as the reference, by the decoder it replaced
(brotli fed 4 KB at a time, the cap checked after each call). Reported: the bomb's size,
the process's peak RSS and CPU time of the decode.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAP = 1 << 20


def _old_brotli(body: bytes, limit: int) -> bytes:
    import brotli

    dec = brotli.Decompressor()
    out = b""
    for start in range(0, len(body), 4096):
        out += dec.process(body[start : start + 4096])
        if len(out) >= limit:
            return out[:limit]
    return out


def child(encoding: str, size: int, which: str) -> None:
    from catalog.inflate import inflate
    from jobs.offlineweb.bomb import bomb

    body = bomb(size, encoding)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.process_time()
    if which == "old":
        out = _old_brotli(body, CAP)
    else:
        out, _ = inflate(body, encoding, CAP)
    cpu = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{len(body)} {before.ru_maxrss} {peak} {cpu:.3f} {len(out)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return
    size = args.size_mb << 20
    print(f"bomb of {args.size_mb} MB of zeros, cap {CAP >> 20} MB; RSS in MB (before -> peak)")
    runs = [("br", "old"), ("br", "new"), ("gzip", "new"), ("zstd", "new")]
    for encoding, which in runs:
        out = subprocess.run(
            [sys.executable, __file__, "--child", encoding, str(size), which],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        ).stdout.split()
        body, before, peak, cpu, got = out
        print(
            f"{encoding:5} {which:4} bomb {int(body):>9} B  RSS {int(before) >> 10:>5} -> "
            f"{int(peak) >> 10:>5} MB  decode CPU {cpu} s  output {int(got) >> 10} KB"
        )


if __name__ == "__main__":
    main()
