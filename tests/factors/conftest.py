"""Fixtures for the factor-library tests (no DB, no network).

Expected values are read from the shipped CSVs with the `csv` module (independently of the
library's parsers) or copied from shared/data/PROVENANCE.md and the research notes.
"""

from __future__ import annotations

import pytest

from ecotrack.factors.registry import FactorRegistry


@pytest.fixture(scope="session")
def reg() -> FactorRegistry:
    """A private registry (not the singleton), shared by the session: datasets load once."""
    return FactorRegistry()
