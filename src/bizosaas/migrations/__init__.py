"""Alembic migration histories, one per service database."""
