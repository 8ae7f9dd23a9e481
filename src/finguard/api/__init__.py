"""The HTTP API (FastAPI). Routes are glue: parse, call one service function, map the result."""
