"""ASGI entry point for uvicorn workers: ``uvicorn finguard.app.asgi:app``."""

from finguard.app.http import create_app

app = create_app(freeze_gc=True)
