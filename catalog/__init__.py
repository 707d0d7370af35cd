"""The catalog: models, queries, README import and rendering. Never imports Scrapy."""
