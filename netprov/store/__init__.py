"""The request register: SQLAlchemy 2 with Alembic migrations, append-only events."""
