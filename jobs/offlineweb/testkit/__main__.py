"""Run the offline web as a process.

    python -m jobs.offlineweb.testkit --spec web.json [--port 0] [--tls] [--max-seconds 3600]
    python -m jobs.offlineweb.testkit --builder hostile|sample|scale [--links N --hosts N ...]

Prints one JSON line on stdout when ready: {"port", "tls_port", "refused_port", "ca_pem",
"dns", "pid"} (plus "urls" for the builders), then serves until SIGTERM/SIGINT or
`--max-seconds`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ..server import OfflineWeb
from ..spec import Web
from .builders import hostile_web, sample_web, scale_web
from .recorded import load_recorded


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m jobs.offlineweb.testkit", description=__doc__)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--spec", type=Path, help="a Web as JSON (Web.to_json)")
    src.add_argument("--builder", choices=["hostile", "sample", "scale"])
    p.add_argument("--port", type=int, default=0, help="HTTP port (0: any free port)")
    p.add_argument("--tls", action="store_true", help="also serve HTTPS (test CA)")
    p.add_argument("--tls-port", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=3600.0, help="stop after this long")
    p.add_argument("--recorded", type=Path, help="also mount this responses index.json")
    p.add_argument("--corpora", type=Path, help="shared/corpora, for --builder hostile")
    p.add_argument("--links", type=int, default=1000, help="--builder scale: links")
    p.add_argument("--hosts", type=int, default=50, help="--builder scale: hosts")
    p.add_argument("--latency", type=float, default=0.1, help="--builder scale: seconds")
    p.add_argument("--seed", type=int, default=0)
    return p


def _build(args: argparse.Namespace) -> tuple[Web, list[str]]:
    if args.spec is not None:
        return Web.load(args.spec), []
    if args.builder == "hostile":
        web, cases = hostile_web(args.corpora)
        return web, [c.url for c in cases.values()]
    if args.builder == "sample":
        web, links = sample_web()
        return web, links.listed + links.dead + links.redirects + links.feeds
    return scale_web(args.links, args.hosts, args.latency, args.seed)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    web, urls = _build(args)
    if args.recorded is not None:
        load_recorded(args.recorded, web)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with OfflineWeb(web, port=args.port, tls=args.tls, tls_port=args.tls_port) as ow:
        ready: dict[str, Any] = {**ow.ports(), "dns": ow.dns_map(), "pid": os.getpid()}
        if urls:
            ready["urls"] = [ow.expand(u) for u in urls]
        sys.stdout.write(json.dumps(ready) + "\n")
        sys.stdout.flush()
        stop.wait(args.max_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
