"""Benchmarks of the policy gate, the gated search and enrollment, each against a baseline."""

import os

# Measure as a worker runs (see config/celery.py): set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
