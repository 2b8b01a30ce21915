"""The Celery application shared by the web process and the workers."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Workers run one process per core; a BLAS call that also spreads over threads waits for a
# busy core (a 20k-face held-gallery scan: p50 0.5 ms on one thread, 22 ms on two, under load).
# Set before anything imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

app = Celery("probity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
