"""Pure types and rules. No I/O lives here."""
