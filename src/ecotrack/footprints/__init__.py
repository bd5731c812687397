"""Footprints: the household questionnaire (anonymous or signed in) and its stored results."""
