from __future__ import annotations

from alembic import context

# Every capability's tables, so the one metadata knows them all.
import finguard.access.store
import finguard.access.store.accounts
import finguard.access.store.approvals
import finguard.access.store.audit
import finguard.alerts.store
import finguard.alerts.store.cases
import finguard.credit.store.tables
import finguard.guard.store.tables
import finguard.identity.store.audit
import finguard.ledger.store.tables
import finguard.lists.store.tables
import finguard.loans.store
import finguard.loans.store.education
import finguard.loans.store.outreach
import finguard.robots.store.tables
import finguard.screening.store  # noqa: F401
from finguard.core.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
