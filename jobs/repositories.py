"""Repository links checked through GitHub's GraphQL API, up to 100 a query.

The ``check`` process itself sends the queries, one at a time, before (or while) its
crawl processes or the queue's workers fetch pages; neither ever asks the API. So no
more than one query is in flight, whatever the number of crawl processes or workers.

Each repository is one aliased ``repository(owner:, name:)`` field; the answer of each
alias is judged on its own (the README's "How a link gets its verdict"):

- ``null`` with a NOT_FOUND error: a permanent failure (dead once it persists; a private
  repository the token cannot see looks the same, so never on one answer);
- another ``nameWithOwner`` (case aside): renamed, ``redirected`` to the new page;
- ``isPrivate``: the token sees it, the list's readers do not: judged as missing;
- ``isArchived``, ``isDisabled``, and a default branch whose last commit is older than
  ``[github] stale_after_days``: flags stored with the facts, shown and counted.

Limits: ``rateLimit`` and ``x-ratelimit-*`` are read before each query; RATE_LIMITED (HTTP
200) and a secondary limit (403/429, Retry-After) wait when the wait is at most
``[github] max_wait_seconds``, else the rest is left due for the next run; a 502/504 (a
query GitHub could not finish in time) splits the batch in two; the aliases of a batch
that did answer are kept whatever happened to the others.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from catalog.repos import Facts, GitHubSettings, RepoRef, is_stale, repo_url
from catalog.store import Result
from catalog.vocabulary import OutcomeKind
from jobs.github import TOKEN_ENV, GitHubError
from jobs.graphql import Answer, GraphQL

FIELDS = (
    "nameWithOwner url isArchived archivedAt isDisabled isFork isMirror isEmpty isPrivate "
    "pushedAt stargazerCount defaultBranchRef{target{...on Commit{committedDate}}}"
)
RATE_LIMIT_TYPES = frozenset({"RATE_LIMITED", "RATE_LIMIT"})
SECONDARY_WORDS = ("secondary rate limit", "abuse detection")
SPLIT_STATUSES = frozenset({500, 502, 503, 504})
TIMEOUT_WORDS = ("something went wrong while executing your query", "couldn't respond")
MAX_ATTEMPTS = 4  # per batch, for the waits a limit asks for
SECONDARY_DEFAULT_WAIT = 60.0  # Retry-After absent or blank


@dataclass(frozen=True)
class Asked:
    """One repository link to ask about."""

    link_id: int
    ref: RepoRef


@dataclass
class Outcome:
    """What the API said, ready for the catalog; and what was left for the next run."""

    results: list[Result] = field(default_factory=list)
    facts: list[tuple[int, datetime, Facts]] = field(default_factory=list)
    left: list[Asked] = field(default_factory=list)
    queries: int = 0
    aliases: list[int] = field(default_factory=list)  # aliases per query sent
    notes: list[str] = field(default_factory=list)  # one line each, for stderr


class _Stop(Exception):
    """The rest of the repositories wait for the next run; the message says why."""


def build_query(refs: Sequence[RepoRef]) -> tuple[str, dict[str, str]]:
    """One query asking for every repository of *refs*, aliased ``r0``, ``r1``, …; the
    names travel as variables, never spliced into the query text."""
    params, fields_ = [], []
    variables: dict[str, str] = {}
    for i, ref in enumerate(refs):
        params += [f"$o{i}:String!", f"$n{i}:String!"]
        variables[f"o{i}"], variables[f"n{i}"] = ref.owner, ref.name
        extra = ""
        if ref.branch is not None:
            params.append(f"$b{i}:String!")
            variables[f"b{i}"] = ref.branch
            extra = f" branch:ref(qualifiedName:$b{i}){{name}}"
        fields_.append(f"r{i}:repository(owner:$o{i},name:$n{i}){{{FIELDS}{extra}}}")
    query = f"query({','.join(params)}){{{' '.join(fields_)} rateLimit{{cost remaining resetAt}}}}"
    return query, variables


def check_repositories(
    client: GraphQL,
    asked: Sequence[Asked],
    settings: GitHubSettings,
    *,
    now: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Ask about every repository of *asked*, ``settings.batch_size`` a query."""
    out = Outcome()
    links: dict[RepoRef, list[int]] = {}  # one alias per repository, whatever its links
    canonical: dict[tuple[str, str, str | None], RepoRef] = {}
    for a in asked:
        key = (a.ref.owner.lower(), a.ref.name.lower(), a.ref.branch)
        links.setdefault(canonical.setdefault(key, a.ref), []).append(a.link_id)
    refs = list(links)
    size = settings.batch_size
    pending: deque[list[RepoRef]] = deque(refs[i : i + size] for i in range(0, len(refs), size))
    limits = _Limits(settings.max_wait_seconds, sleep)
    while pending:
        batch = pending.popleft()
        try:
            answer = _ask(client, batch, limits, out)
        except _Stop as stop:
            out.notes.append(str(stop))
            rest = [batch, *pending]
            out.left += [Asked(i, r) for b in rest for r in b for i in links[r]]
            break
        if answer is None:  # could not be finished in time: halves, or a transient failure
            if len(batch) > 1:
                half = len(batch) // 2
                pending.appendleft(batch[half:])
                pending.appendleft(batch[:half])
            else:
                out.results += _results(links[batch[0]], now(), OutcomeKind.TRANSIENT, _TIMEOUT)
            continue
        _judge(batch, answer, links, settings, now(), out)
    return out


_TIMEOUT = "GitHub could not answer this repository's query in time"


@dataclass
class _Limits:
    """The primary limit as last reported, and how long a wait may be."""

    max_wait: float
    sleep: Callable[[float], None]
    remaining: int | None = None
    reset_at: float | None = None  # epoch seconds

    def read(self, answer: Answer) -> None:
        rate = (answer.data or {}).get("rateLimit")
        if isinstance(rate, dict) and isinstance(rate.get("remaining"), int):
            self.remaining = rate["remaining"]
            self.reset_at = _epoch(rate.get("resetAt")) or self.reset_at
        header = answer.header("x-ratelimit-remaining")
        if header is not None and header.strip().isdigit():
            self.remaining = int(header)
        reset = answer.header("x-ratelimit-reset")
        if reset is not None and reset.strip().isdigit():
            self.reset_at = float(reset)

    def wait_for_reset(self, why: str) -> None:
        """Sleep until the reset when it is near; else stop for this run."""
        wait = max(0.0, (self.reset_at or time.time() + 3600) - time.time()) + 1
        if wait > self.max_wait:
            reset = datetime.fromtimestamp(self.reset_at, UTC) if self.reset_at else None
            when = f" (resets {reset:%Y-%m-%d %H:%M} UTC)" if reset else ""
            raise _Stop(f"{why}{when}: the remaining repositories are checked next run")
        self.sleep(wait)
        self.remaining = None

    def wait(self, seconds: float, why: str) -> None:
        if seconds > self.max_wait:
            raise _Stop(f"{why}, asked to wait {seconds:.0f} s: the rest are checked next run")
        self.sleep(seconds)


def _ask(client: GraphQL, batch: list[RepoRef], limits: _Limits, out: Outcome) -> Answer | None:
    """The answer to one batch's query, after the waits limits ask for; None when GitHub
    could not finish it in time (the caller splits it)."""
    query, variables = build_query(batch)
    backoff = SECONDARY_DEFAULT_WAIT
    for _attempt in range(MAX_ATTEMPTS):
        if limits.remaining is not None and limits.remaining < 1:
            limits.wait_for_reset("GitHub's GraphQL rate limit is used up")
        try:
            answer = client.post(query, variables)
        except GitHubError as exc:
            raise _Stop(str(exc)) from None
        out.queries += 1
        out.aliases.append(len(batch))
        limits.read(answer)
        kinds = {str(e.get("type") or "") for e in answer.errors}
        text = " ".join([answer.message, *(str(e.get("message") or "") for e in answer.errors)])
        if kinds & RATE_LIMIT_TYPES:
            limits.remaining = 0
            limits.wait_for_reset("GitHub's GraphQL rate limit is used up")
            continue
        retry_after = answer.header("retry-after")
        if answer.status in (403, 429) or any(w in text.lower() for w in SECONDARY_WORDS):
            if retry_after is not None and retry_after.strip().isdigit():
                seconds = float(retry_after)
            elif limits.remaining == 0:
                limits.wait_for_reset(f"GitHub answered {answer.status}: rate limit")
                continue
            elif any(w in text.lower() for w in SECONDARY_WORDS):
                seconds, backoff = backoff, backoff * 2
            else:
                raise _Stop(f"GitHub answered {answer.status} to the GraphQL query: {text}")
            limits.wait(seconds, f"GitHub's secondary rate limit ({answer.status})")
            continue
        if answer.status in SPLIT_STATUSES or (
            answer.data is None and any(w in text.lower() for w in TIMEOUT_WORDS)
        ):
            return None
        if answer.status != 200 or (answer.data is None and not answer.errors):
            hint = " (check GITHUB_TOKEN)" if answer.status == 401 else ""
            raise _Stop(
                f"GitHub answered {answer.status} to the GraphQL query: "
                f"{text.strip() or 'no message'}{hint}"
            )
        if answer.data is None:
            raise _Stop(f"GitHub's GraphQL answered no data: {text.strip()}")
        return answer
    raise _Stop("GitHub kept asking to wait")


def _judge(
    batch: list[RepoRef],
    answer: Answer,
    links: dict[RepoRef, list[int]],
    settings: GitHubSettings,
    at: datetime,
    out: Outcome,
) -> None:
    """Each alias's answer as a check result (and the facts when the repository was seen)."""
    data = answer.data or {}
    errors: dict[str, dict[str, object]] = {}
    for e in answer.errors:
        path = e.get("path")
        if isinstance(path, list) and path and isinstance(path[0], str):
            errors.setdefault(path[0], e)
    for i, ref in enumerate(batch):
        alias = f"r{i}"
        ids = links[ref]
        if alias not in data and alias not in errors:  # not answered: no verdict, due again
            out.left += [Asked(link_id, ref) for link_id in ids]
            continue
        node = data.get(alias)
        if not isinstance(node, dict):
            error = errors.get(alias)
            kind = str((error or {}).get("type") or "")
            if error is not None and kind != "NOT_FOUND":
                why = f"GitHub API: {kind or 'error'}: {str(error.get('message') or '')[:200]}"
                out.results += _results(ids, at, OutcomeKind.TRANSIENT, why)
            else:  # NOT_FOUND, or null without an error (a token too weak to see it)
                why = f"repository {ref.full_name} not found (GitHub API: NOT_FOUND)"
                out.results += _results(ids, at, OutcomeKind.PERMANENT, why, "not found")
            continue
        facts = _facts(node, ref, settings, at)
        out.facts += [(link_id, at, facts) for link_id in ids]
        if facts.private:
            why = f"repository {ref.full_name} is private: the list's readers cannot see it"
            out.results += _results(ids, at, OutcomeKind.PERMANENT, why, "private repository")
        elif ref.branch is not None and not node.get("branch"):
            why = f"branch {ref.branch!r} of {facts.name_with_owner} not found"
            out.results += _results(ids, at, OutcomeKind.PERMANENT, why, "no such branch")
        elif facts.renamed:
            final = repo_url(facts.name_with_owner, ref.branch, ref.host)
            why = f"repository renamed: {ref.full_name} is now {facts.name_with_owner}"
            out.results += _results(ids, at, OutcomeKind.REDIRECT, why, final_url=final)
        else:
            out.results += _results(ids, at, OutcomeKind.OK, "repository found")


def _facts(node: dict[str, object], ref: RepoRef, settings: GitHubSettings, at: datetime) -> Facts:
    name = str(node.get("nameWithOwner") or ref.full_name)
    branch = node.get("defaultBranchRef")
    target = branch.get("target") if isinstance(branch, dict) else None
    last_commit = _when(target.get("committedDate")) if isinstance(target, dict) else None
    stars = node.get("stargazerCount")
    return Facts(
        name_with_owner=name,
        archived=node.get("isArchived") is True,
        archived_at=_when(node.get("archivedAt")),
        disabled=node.get("isDisabled") is True,
        fork=node.get("isFork") is True,
        mirror=node.get("isMirror") is True,
        empty=node.get("isEmpty") is True,
        private=node.get("isPrivate") is True,
        pushed_at=_when(node.get("pushedAt")),
        last_commit_at=last_commit,
        stars=stars if isinstance(stars, int) and not isinstance(stars, bool) else None,
        stale=is_stale(last_commit, at, settings.stale_after_days),
        renamed=name.lower() != ref.full_name.lower(),
    )


def _results(
    ids: list[int],
    at: datetime,
    outcome: OutcomeKind,
    reason: str,
    error: str | None = None,
    final_url: str | None = None,
) -> list[Result]:
    return [
        Result(
            link_id=i,
            outcome=outcome.value,
            reason=reason,
            checked_at=at,
            method="GRAPHQL",
            error=error if outcome != OutcomeKind.OK else None,
            final_url=final_url,
        )
        for i in ids
    ]


def _when(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _epoch(value: object) -> float | None:
    """``resetAt`` as epoch seconds: ISO 8601 in the recordings, epoch in the docs."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    moment = _when(value)
    return moment.timestamp() if moment else None


# --- the check's step -----------------------------------------------------------------

POLITE_PAGES = {"concurrency": 1, "delay": 2.0}  # github.com as pages, without a token


@dataclass
class RepoStep:
    """The repository links of a check: split off the crawl and asked of the API (with a
    token), or left to the crawl at a polite pace for the web hosts (without one)."""

    settings: GitHubSettings
    client: GraphQL | None
    queries: int = 0
    checked: int = 0
    as_pages: int = 0
    left: int = 0
    notes: list[str] = field(default_factory=list)
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def from_config(cls, raw: dict[str, object], where: str) -> RepoStep:
        import os

        from catalog.repos import github_settings

        settings = github_settings(raw, where)
        token = os.environ.get(TOKEN_ENV, "").strip()
        client = GraphQL(settings.graphql_url, token) if token else None
        return cls(settings=settings, client=client)

    def ref(self, url: str) -> RepoRef | None:
        from catalog.repos import repo_ref

        return repo_ref(url, self.settings.web_hosts)

    def take(self, link_id: int, url: str) -> Asked | None:
        """The link as a question for the API, or None: it is crawled (counted when it
        names a repository and there is no token)."""
        ref = self.ref(url)
        if ref is None:
            return None
        if self.client is None:
            self.as_pages += 1
            return None
        return Asked(link_id, ref)

    def check(self, asked: Sequence[Asked], now: Callable[[], datetime]) -> Outcome:
        assert self.client is not None
        out = check_repositories(self.client, asked, self.settings, now=now, sleep=self.sleep)
        self.queries += out.queries
        self.checked += len(asked) - len(out.left)
        self.left += len(out.left)
        self.notes += out.notes
        return out

    def slots(self, configured: Mapping[str, object]) -> dict[str, dict[str, float]]:
        """Download slots for the web hosts when their repositories are crawled as pages."""
        if self.client is not None:
            return {}
        return {h: dict(POLITE_PAGES) for h in self.settings.web_hosts if h not in configured}

    def summary(self) -> list[str]:
        lines = list(dict.fromkeys(self.notes))
        if self.client is not None and (self.checked or self.left):
            lines.append(
                f"{self.checked} GitHub repositories checked through the API in "
                f"{self.queries} queries"
                + (f"; {self.left} left for the next run" if self.left else "")
            )
        if self.as_pages:
            lines.append(
                f"{self.as_pages} GitHub repository links checked as pages, one at a time: "
                f"set {TOKEN_ENV} to check them through the API ({self.settings.batch_size} "
                "a query, with archived, renamed and stale repositories)"
            )
        return lines
