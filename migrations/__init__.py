"""Alembic migrations for the catalog (a package so that wheels carry it)."""
