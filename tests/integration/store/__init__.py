"""The mission store on SQLite and PostgreSQL."""
