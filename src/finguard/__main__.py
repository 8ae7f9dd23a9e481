from finguard.app.cli import app

app()
