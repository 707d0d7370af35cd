"""A bounded keep-alive load check of the offline web, client and server in two processes.

    python -m jobs.offlineweb.testkit.loadgen [--connections 32] [--seconds 5] [--hosts 20]

Starts `python -m jobs.offlineweb.testkit --builder scale --latency 0` as a child process,
keeps `--connections` keep-alive connections busy for `--seconds`, prints requests per second and
stops the child. Figures vary with the machine: compare runs, do not assert on them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from urllib.parse import urlsplit

MAX_SECONDS = 120.0


async def _worker(urls: list[str], deadline: float, counts: list[int], offset: int) -> None:
    first = urlsplit(urls[offset % len(urls)])
    host, port = first.hostname or "127.0.0.1", first.port or 80
    paths = [urlsplit(u).path for u in urls if urlsplit(u).hostname == host]
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for i in range(10**9):  # bounded by the deadline below
            if time.monotonic() >= deadline:
                break
            path = paths[(offset + i) % len(paths)]
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            counts[0] += 1
    finally:
        writer.close()


async def _load(urls: list[str], connections: int, seconds: float) -> tuple[int, float]:
    counts = [0]
    started = time.monotonic()
    deadline = started + min(seconds, MAX_SECONDS)
    await asyncio.gather(*(_worker(urls, deadline, counts, k * 7) for k in range(connections)))
    return counts[0], time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m jobs.offlineweb.testkit.loadgen")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--hosts", type=int, default=20)
    p.add_argument("--links", type=int, default=2000)
    args = p.parse_args(argv)
    command = [sys.executable, "-m", "jobs.offlineweb.testkit", "--builder", "scale"]
    command += ["--latency", "0"]
    command += ["--links", str(args.links), "--hosts", str(args.hosts)]
    command += ["--max-seconds", str(args.seconds + 60)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            ready = json.loads(server.stdout.readline())
            urls = [u for u in ready["urls"] if "/a/" in u]
            done, elapsed = asyncio.run(_load(urls, args.connections, args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"{done} requests in {elapsed:.2f} s over {args.connections} keep-alive connections "
        f"to {args.hosts} hosts: {done / elapsed:.0f} requests/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
