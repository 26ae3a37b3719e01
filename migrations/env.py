"""Alembic environment: always handed a live connection by cetr_bot.storage.session."""

from alembic import context

from cetr_bot.storage.registry import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations with `cetr-bot db upgrade`.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite needs batch mode to alter tables
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
