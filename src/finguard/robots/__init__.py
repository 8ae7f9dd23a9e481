"""Robots (#13): scheduled jobs over every capability's stored data, with a job table, a run history,
locking so two processes never run one job, and a staff page. See ``robots.model`` for the rules."""
