"""The Celery application shared by the web process and the workers."""

import os

from celery import Celery, signals

from config.request_ids import task_context_bind, task_context_clear, task_headers_add

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Workers run one process per core; a BLAS call that also spreads over threads waits for a
# busy core (a 20k-face held-gallery scan: p50 0.5 ms on one thread, 22 ms on two, under load).
# Set before anything imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

app = Celery("probity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each task runs with the request id (agency, user) of the request that published it.
signals.before_task_publish.connect(task_headers_add, weak=False)
signals.task_prerun.connect(task_context_bind, weak=False)
signals.task_postrun.connect(task_context_clear, weak=False)


def queue_depth() -> int | None:
    """Return how many messages wait in the task queue, or None if the broker cannot say."""
    from typing import Any

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            # Declared as the workers declare it (virtual transports answer NOT_FOUND to a
            # passive declaration from a channel that has not declared it itself).
            channel: Any = conn.default_channel
            declared = channel.queue_declare(
                queue=app.conf.task_default_queue, durable=True, auto_delete=False
            )
            return int(declared.message_count)
    except Exception:
        return None
