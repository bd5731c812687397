"""Usage reports (CSV/PDF) of an organisation's AI footprint."""
