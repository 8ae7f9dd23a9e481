"""The real-time transaction guard (#4): decisions, velocity, rules, customer controls, conditions.

Wiring lives in the store layer (``finguard.store.guard_repo.make_guard``), which builds the
SQL store and hands it to :class:`finguard.services.guard.engine.GuardService`.
"""
