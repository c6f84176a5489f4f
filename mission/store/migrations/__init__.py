"""Alembic scripts for the mission store (run them with ``skyloop db upgrade``)."""
