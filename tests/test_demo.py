"""`listkeeper demo` runs the whole job offline on the bundled sample list."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.catalogdb import select
from tests.readmes import cli

# `demo` always builds its own SQLite catalog in its workdir (jobs/demo.py), whatever
# LISTKEEPER_DB says: under the PostgreSQL switch these would repeat the SQLite run.
pytestmark = pytest.mark.sqlite_only(reason="demo builds its own SQLite catalog")


def test_demo_runs_the_whole_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "demo", "--workdir", str(tmp_path / "demo"))
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "demo" / "report.json").read_text())
    by_url = {link["url"]: link["status"] for link in report["links"]}
    # Checked yesterday and today: 404 and 410 twice, 24 hours apart, are dead.
    assert by_url["https://blog.bramble.test/2024/postgres-fleet"] == "dead"
    assert by_url["https://scalenotes.test/archive"] == "dead"
    assert by_url["http://initech.test/blog/payroll-queue"] == "redirected"
    assert by_url["https://notes.hashring.test/caching-patterns"] == "suspect"  # soft 404
    assert by_url["https://tech.globex.test/rate-limiting"] == "ok"  # despite its 429s
    # Its GitHub repositories, answered by the local GitHub API: renamed and archived.
    repos = {link["url"]: link for link in report["links"] if "repository" in link}
    renamed = repos["https://github.com/queue-zone/queuebench"]
    assert renamed["status"] == "redirected"
    assert renamed["repository"]["name_with_owner"] == "sample-org/queuebench"
    assert repos["https://github.com/sample-org/raftlog"]["repository"]["archived"] is True
    assert report["summary"]["archived"] == 1
    markdown = (tmp_path / "demo" / "report.md").read_text()
    assert "### Archived repositories (1)" in markdown
    assert "### Renamed repositories (1)" in markdown
    # 16 pages, and the 8 index cells that today's render wrote, decided in the same run
    assert report["summary"]["ok"] == 24 and report["summary"]["unchecked"] == 0
    readme = (tmp_path / "demo" / "README.md").read_text()
    assert "| [A](#a-companies)  |" in readme  # the A–Z index was rendered
    assert "history starts now" in result.err
    assert "polled 1 feeds: 2 new candidates" in result.out  # today's posts, not yesterday's
    assert "<table" in (tmp_path / "demo" / "report.html").read_text()
    assert "**2 dead**" in (tmp_path / "demo" / "pull-request.txt").read_text()
    pr = (tmp_path / "demo" / "pull-request.txt").read_text()  # the dry-run pull request
    # The permanent redirect is proposed as its target, as the web knows it (no test port).
    assert "+- [How Initech Moved Payroll to a Queue](https://initech.test/blog/2024/" in pr
    # So is it in the redirect's message: no output shows the port the demo's web has today.
    assert "moved permanently to https://initech.test/blog/2024/payroll-queue" in pr
    for name in ("README.md", "report.json", "report.md", "pull-request.txt"):
        assert not re.search(r"\.test:\d", (tmp_path / "demo" / name).read_text()), name
    assert "+- [queuebench](https://github.com/sample-org/queuebench) - a load" in pr
    assert "+- [raftlog](https://github.com/sample-org/raftlog) *(archived)* - a teaching" in pr


def test_check_stores_page_metadata_and_extract_prints_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "demo", "--workdir", str(tmp_path / "demo")).code == 0
    catalog = f"sqlite:///{tmp_path / 'demo' / 'listkeeper.db'}"
    sql = "select l.url, m.title from page_metadata m join links l on l.id = m.link_id"
    rows = dict(select(catalog, sql))
    url = "https://engineering.acme.test/posts/order-book-sharding"
    assert rows[url] == "How Acme Shards Its Order Book"
    page = tmp_path / "page.html"
    page.write_text(
        '<html lang="en"><head><title>A Post | Blog</title><meta property="og:site_name" '
        'content="Blog"><link rel="canonical" href="/p/a-post"><link rel="alternate" '
        'type="application/rss+xml" href="/feed.xml"></head><body><p>Hello.</p></body></html>'
    )
    out = cli(capsys, "extract", str(page), "--url", "https://blog.test/p/a-post?ref=x")
    assert out.code == 0
    meta = json.loads(out.out)
    assert meta["title"] == "A Post" and meta["canonical"] == "https://blog.test/p/a-post"
    assert meta["feeds"] == ["https://blog.test/feed.xml"] and meta["lang"] == "en"
    assert set(meta) == {
        "title",
        "description",
        "site_name",
        "authors",
        "published",
        "modified",
        "lang",
        "canonical",
        "image",
        "feeds",
        "word_count",
        "reading_minutes",
        "evidence",
    }
    assert meta["evidence"] == {"published": "htmldate: none"}  # why there is no date


def test_demo_runs_from_the_installed_wheel(tmp_path: Path) -> None:
    """The demo's offline web (jobs/offlineweb) ships in the wheel: `demo` needs no repo; the
    tests' and benches' kit (jobs/offlineweb/testkit) does not: the wheel holds exactly the
    offline web's modules that `demo` loads."""
    # Built from a copy: setuptools reuses a checkout's build/, which may hold stale modules.
    root = tmp_path / "source"
    leftovers = shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__")
    shutil.copytree(Path(__file__).resolve().parents[1], root, ignore=leftovers)
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*build, "-w", str(wheels), str(root)], check=True, capture_output=True)
    (wheel,) = wheels.glob("listkeeper-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            for name in archive.namelist()
            if name.startswith("jobs/offlineweb/") and name.endswith(".py")
        }
    assert "jobs.offlineweb.server" in shipped and "jobs.offlineweb.pages" in shipped
    assert not {m for m in shipped if m.startswith("jobs.offlineweb.testkit")}, shipped
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "zipfile", "-e", str(wheel), str(site)], check=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = (
        "import json, sys; from jobs import offlineweb; from jobs.cli import run;"
        f"assert offlineweb.__file__.startswith({str(site)!r}), offlineweb.__file__;"
        "code = run(['demo', '--workdir', 'demo']);"
        "loaded = [m for m in sys.modules if (m + '.').startswith('jobs.offlineweb.')];"
        "open('loaded.json', 'w').write(json.dumps(sorted(loaded)));"
        "sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=work,
        env={"PYTHONPATH": str(site), "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((work / "demo" / "report.json").read_text())
    assert report["summary"]["dead"] == 2
    loaded = set(json.loads((work / "loaded.json").read_text()))
    assert shipped == loaded, f"shipped, not loaded by demo: {sorted(shipped - loaded)}"
