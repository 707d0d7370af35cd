"""bench/catalog_scale.py runs end to end at a tiny size and reports every operation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "catalog_scale.py"


def test_catalog_scale_bench_reports_each_operation(tmp_path: Path) -> None:
    size = ("--lists", "5", "--links-per-list", "20", "--backend", "sqlite")
    out = subprocess.run(
        [sys.executable, str(BENCH), *size, "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    rows = [line.removeprefix("sqlite").strip() for line in text.splitlines()]
    assert "5 lists × 20 links = 100 links" in text
    for operation in (
        "build (Core bulk inserts)",
        "catalog size",
        "due selection",
        "check selection",
        "crawl job load",
        "render every list",
    ):
        assert any(r.startswith(operation) for r in rows), (operation, text)
    due = next(r for r in rows if r.startswith("due selection"))
    assert due.split()[2] == "130"  # 50 web links and 80 index anchors are due
    assert "expected 130" in due
    assert "5 lists up to date" in text  # the synthetic READMEs match the catalog
    assert "peak MiB" in text
