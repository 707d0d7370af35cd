"""`listkeeper demo` runs the whole job offline on the bundled sample list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.readmes import cli


def test_demo_runs_the_whole_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "demo", "--workdir", str(tmp_path / "demo"))
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "demo" / "report.json").read_text())
    by_url = {link["url"]: link["status"] for link in report["links"]}
    assert by_url["https://blog.bramble.test/2024/postgres-fleet"] == "failing"  # 404, once
    assert by_url["https://scalenotes.test/archive"] == "failing"  # 410, once
    assert by_url["http://initech.test/blog/payroll-queue"] == "redirected"
    assert by_url["https://notes.hashring.test/caching-patterns"] == "suspect"  # soft 404
    assert by_url["https://tech.globex.test/rate-limiting"] == "ok"  # despite its 429s
    assert report["summary"]["ok"] == 14 and report["summary"]["unchecked"] == 0
    readme = (tmp_path / "demo" / "README.md").read_text()
    assert "| [A](#a-companies)  |" in readme  # the A–Z index was rendered
    assert "history starts now" in result.err
