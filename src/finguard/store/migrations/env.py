from __future__ import annotations

from alembic import context

import finguard.store.guard_tables  # noqa: F401
from finguard.store import ledger_tables  # noqa: F401
from finguard.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
