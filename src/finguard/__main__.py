from finguard.cli.main import app

app()
