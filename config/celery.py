"""The Celery application shared by the web process and the workers."""

import os

from celery import Celery, signals

from config.request_ids import task_context_bind, task_context_clear, task_headers_add

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("probity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each task runs with the request id (agency, user) of the request that published it.
signals.before_task_publish.connect(task_headers_add, weak=False)
signals.task_prerun.connect(task_context_bind, weak=False)
signals.task_postrun.connect(task_context_clear, weak=False)
