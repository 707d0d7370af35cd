"""listkeeper crawler."""

# A crawl process's own failure, one line on its stderr (jobs.crawling reads it; that
# module imports this package without Scrapy).
CRAWL_ERROR_PREFIX = "listkeeper-crawl: error: "
# `listkeeper --verbose`: jobs.crawling shows a crawl's whole log on stderr, not only errors.
VERBOSE_ENV = "LISTKEEPER_VERBOSE"
# The pid of the command that starts a crawl process: the crawl ends when it is gone.
PARENT_ENV = "LISTKEEPER_CRAWL_PARENT"
