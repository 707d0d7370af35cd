"""GitHub repositories benchmark: prints figures, never passes or fails on time.

    python bench/github.py [--links 2500]

A list of N repository links (awesome-go's size by default): the GitHub links of
awesome-python's README in ../shared/corpora/readmes (about 480, when present) and
synthetic ones for the rest, some renamed, archived, stale or gone. ``listkeeper import``
and ``listkeeper check`` run in a fresh process against the local GitHub GraphQL endpoint
(jobs.offlineweb.githubgraphql, graphql-core executing every query, in this process);
printed: queries and aliases per query, the check's wall and CPU time, and how many checks
went to github.com as pages (the goal: none).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from catalog.repos import repo_ref  # noqa: E402
from jobs.offlineweb.githubgraphql import Endpoint, Repo, serving  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "readmes" / "vinta__awesome-python__README.md"
LINK = re.compile(r"\]\((https://github\.com/[^)\s]+)\)")


def corpus_repos() -> list[str]:
    """The repository links of awesome-python's README, once each, as written."""
    if not CORPUS.exists():
        return []
    seen: dict[str, str] = {}
    for url in LINK.findall(CORPUS.read_text(encoding="utf-8")):
        ref = repo_ref(url)
        if ref is not None and ref.branch is None:
            seen.setdefault(ref.full_name.lower(), f"https://github.com/{ref.full_name}")
    return list(seen.values())


def build(n: int) -> tuple[list[str], Endpoint]:
    urls = corpus_repos()[:n]
    corpus = len(urls)
    urls += [f"https://github.com/synth-org-{i % 97}/lib-{i}" for i in range(n - corpus)]
    endpoint = Endpoint()
    for i, url in enumerate(urls):
        name = url.removeprefix("https://github.com/")
        kind = i % 50
        if kind == 0:
            continue  # gone: NOT_FOUND
        if kind in (1, 2):
            endpoint.add(name, Repo(f"moved-{name}".replace("/", "-", 1) + f"/{i}"))
        elif kind in (3, 4, 5):
            endpoint.add(name, Repo(name, archived=True, last_commit_at="2021-05-01T00:00:00Z"))
        elif kind in (6, 7, 8, 9, 10):
            endpoint.add(name, Repo(name, last_commit_at="2023-01-15T00:00:00Z"))
        else:
            endpoint.add(name, Repo(name, stars=i))
    print(f"{n} repository links: {corpus} from awesome-python's README, {n - corpus} synthetic")
    return urls, endpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--links", type=int, default=2500)
    args = parser.parse_args()
    urls, endpoint = build(args.links)
    listkeeper = str(Path(sys.executable).parent / "listkeeper")
    with tempfile.TemporaryDirectory(prefix="bench-github-") as tmp, serving(endpoint) as api:
        folder = Path(tmp)
        lines = ["# Repositories", "", "## Libraries", ""]
        lines += [f"- [r{i}]({url}) - a library." for i, url in enumerate(urls)]
        (folder / "README.md").write_text("\n".join(lines) + "\n")
        (folder / "listkeeper.toml").write_text(f'[github]\napi_url = "{api}"\n')
        env = {**os.environ, "GITHUB_TOKEN": "bench-token", "LISTKEEPER_DB": ""}
        env.pop("LISTKEEPER_DB")
        subprocess.run([listkeeper, "import", "README.md"], cwd=folder, env=env, check=True,
                       capture_output=True)  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [listkeeper, "check"], cwd=folder, env=env, capture_output=True, text=True
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        db = sqlite3.connect(folder / "listkeeper.db")
        pages = db.execute(
            "select count(*) from checks where method is null or method != 'GRAPHQL'"
        ).fetchone()[0]
        statuses = Counter(dict(db.execute("select status, count(*) from links group by status")))
        facts = db.execute("select sum(archived), sum(stale), sum(renamed) from repository_facts")
        archived, stale, renamed = facts.fetchone()
        db.close()
    said = [line for line in done.stderr.splitlines() if "through the API" in line]
    print(f"check exit {done.returncode}; {said[0] if said else done.stderr.strip()}")
    print(
        f"queries {len(endpoint.queries)} (at most 25 wanted), aliases per query "
        f"max {max(endpoint.queries)}, most in flight at once {endpoint.max_in_flight}"
    )
    print(
        f"check: wall {wall:.2f} s, of which the local endpoint answering {endpoint.busy:.2f} s "
        f"(graphql-core, in the bench process); CPU {cpu:.2f} s (the check process and its "
        "children)"
    )
    print(f"page requests to github.com: {pages}")
    print(f"statuses: {dict(statuses)}; archived {archived}, stale {stale}, renamed {renamed}")


if __name__ == "__main__":
    main()
