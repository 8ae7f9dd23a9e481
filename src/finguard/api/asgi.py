"""ASGI entry point for uvicorn workers: ``uvicorn finguard.api.asgi:app``."""

from finguard.api.app import create_app

app = create_app()
