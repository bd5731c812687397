from ecotrack.cli import app

app()
