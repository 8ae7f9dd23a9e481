"""Storage adapters: SQLAlchemy Core tables and repositories (SQLite and PostgreSQL)."""
