"""The real-time transaction guard (#4): decisions, velocity, rules, customer controls, conditions.

Wiring lives in ``finguard.guard.provider.make_guard``, which builds the SQL store and hands it
to :class:`finguard.guard.service.engine.GuardService`.
"""
