"""Hypothesis settings shared by the fuzz and equivalence tests.

The suite runs a few examples per test; ``TRADEWATCH_FUZZ_EXAMPLES=100000`` runs more.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("TRADEWATCH_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,  # no example database in the repository
)
