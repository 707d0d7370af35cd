"""Spiders: they yield items and requests, and know nothing of storage."""
