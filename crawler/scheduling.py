"""The scheduler's choice of the next request: the busiest host first.

Scrapy's ``DownloaderAwarePriorityQueue`` takes the next request from a host with the
fewest requests in the downloader, ties broken round-robin. For a link check that leaves
the biggest hosts for last: near the end a host with 40 links left, at 2 requests in
flight, keeps the crawl running long after the others are done. Among the hosts with the
fewest requests in the downloader this queue takes the one with the most requests still
queued (longest-processing-time first, the classic rule for a short makespan), so the
long host queues start early and finish together with the rest.
"""

from __future__ import annotations

from scrapy.pqueues import DownloaderAwarePriorityQueue


class BusiestHostFirstQueue(DownloaderAwarePriorityQueue):
    def _next_slot(self, stats: list[tuple[int, str]], *, update_state: bool) -> str:
        queues = self.pqueues
        _, slot = min(stats, key=lambda s: (s[0], -len(queues[s[1]])))
        if update_state:
            self._last_selected_slot = slot
        return slot
