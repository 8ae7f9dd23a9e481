"""Pure loan maths and policy: frozen dataclasses and functions, no I/O.

Money is integer fen (``int``); rates are ``Decimal``; day-count fractions are exact
``Fraction``s. A float never enters a schedule.
"""
