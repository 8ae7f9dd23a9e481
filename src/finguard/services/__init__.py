"""Use cases, one module per capability. Storage is reached through Protocols declared here."""
