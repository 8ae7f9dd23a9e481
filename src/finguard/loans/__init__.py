"""Loans (#15): repayment schedules with exact money, relief events, eligibility by category."""
