"""The real-time transaction guard (#4): events, decisions, customer controls, operator conditions, rules."""
