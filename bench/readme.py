"""Import and render benchmark: prints figures, never passes or fails on time.

    python bench/readme.py [--entries 100000]

The guard (``catalog.guard.verify``) that ``render`` runs before it writes is timed
apart: it parses both texts again and renders the result a second time.

Cases: the largest README of ../shared/corpora/readmes (when present) and a synthetic list
of N entries in 27 letter groups with an A–Z index. Each case runs in a fresh process on a
fresh SQLite file and reports wall time, CPU time and peak RSS of that process.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "readmes"
CONFIG = """
[[render.regions]]
name = "idx"
kind = "az-index"
group = "things"

[[render.regions]]
name = "groups"
kind = "letter-groups"
group = "things"
"""


def synthetic(n: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    words = [
        "cache",
        "queue",
        "shard",
        "raft",
        "log",
        "index",
        "stream",
        "graph",
        "lake",
        "mesh",
        "proxy",
        "vector",
    ]
    per = {c: [] for c in "#ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    letters = list(per)
    for i in range(n):
        title = " ".join(rng.choice(words).title() for _ in range(4)) + f" {i}"
        per[rng.choice(letters)].append(f"- [{title}](https://host{i % 500}.test/p/{i})")
    body = [
        "# Synthetic list",
        "",
        "<!-- listkeeper:begin idx -->",
        "<!-- listkeeper:end idx -->",
        "",
    ]
    body += ["<!-- listkeeper:begin groups -->"]
    for letter, items in per.items():
        mark = "\\#" if letter == "#" else letter
        body += [f"#### {mark} things", "", *items, ""]
    body += ["<!-- listkeeper:end groups -->", ""]
    return "\n".join(body)


def child(readme: str, config: str | None) -> None:
    """Runs inside the measured process: import, then render, timing each."""
    from catalog import config as config_mod
    from catalog import db
    from catalog.guard import verify
    from catalog.importer import document_key, import_readme
    from catalog.queries import document_by_path, render_entries
    from catalog.render import render_document
    from jobs.readme import rerenderer

    path = Path(readme)
    url = f"sqlite:///{path.parent / 'bench.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    cfg = config_mod.load(Path(config)) if config else config_mod.Config()
    t0, c0 = time.perf_counter(), time.process_time()
    with db.session_scope(engine) as s:
        result = import_readme(s, path)
    t1, c1 = time.perf_counter(), time.process_time()
    with db.session_factory(engine)() as s:
        doc = document_by_path(s, document_key(path))
        assert doc is not None
        entries = render_entries(s, doc.id)
        text = path.read_text()
        out = render_document(text, cfg, entries)
    t2, c2 = time.perf_counter(), time.process_time()
    # The guard ``render`` runs before writing: both texts parsed, the second render.
    verify(
        text,
        out,
        where="bench",
        action="render",
        rerender=rerenderer(cfg, entries, "bench"),
        outside_kept=True,
    )
    t3, c3 = time.perf_counter(), time.process_time()
    print(
        json.dumps(
            {
                "entries": result.entries,
                "links": result.links,
                "bytes": path.stat().st_size,
                "import_s": t1 - t0,
                "import_cpu_s": c1 - c0,
                "render_s": t2 - t1,
                "render_cpu_s": c2 - c1,
                "guard_s": t3 - t2,
                "guard_cpu_s": c3 - c2,
                "changed": out != text,
                "output_bytes": len(out.encode()),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def measure(name: str, text: str, config: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        readme = Path(tmp) / "README.md"
        readme.write_text(text)
        cfg = None
        if config:
            cfg = str(Path(tmp) / "listkeeper.toml")
            Path(cfg).write_text(config)
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(readme), *(["--config", cfg] if cfg else [])],
            check=True,
            capture_output=True,
            text=True,
            cwd=tmp,
        ).stdout
    r = json.loads(out.strip().splitlines()[-1])
    print(
        f"{name:<44} {r['entries']:>7} entries {r['links']:>7} links {r['bytes'] / 1e6:6.2f} MB | "
        f"import {r['import_s']:6.2f} s (cpu {r['import_cpu_s']:6.2f}) | "
        f"render {r['render_s']:6.2f} s (cpu {r['render_cpu_s']:6.2f}) | "
        f"guard {r['guard_s']:6.2f} s (cpu {r['guard_cpu_s']:6.2f}"
        f"{', text changed' if r['changed'] else ', unchanged: skipped'}) | "
        f"peak RSS {r['peak_rss_mb']:6.0f} MB"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--child")
    ap.add_argument("--config")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.config)
        return
    if CORPUS.exists():
        largest = max((p for p in CORPUS.glob("*.md")), key=lambda p: p.stat().st_size)
        measure(f"corpus: {largest.name}", largest.read_text(), None)
    else:
        print(f"skipped corpus case: {CORPUS} is absent")
    measure(f"synthetic: {args.entries} entries", synthetic(args.entries), CONFIG)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
