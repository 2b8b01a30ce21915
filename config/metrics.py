"""``GET /metrics``: Prometheus metrics, read from the database and the broker at scrape time.

Counting from the database keeps the figures right however many web and worker processes
run, and survives their restarts. Each agency's rows are read in that agency's transaction, as
the app role (row-level security applies). Labels carry agency ids, statuses and reason
codes; never a person, a case number or anything biometric.

The endpoint is off (404) until ``METRICS_TOKEN`` is set; a scraper then presents it as a
bearer token (compared in constant time).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Sequence
from typing import Any

from amqp.exceptions import ChannelError
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from config.celery import app as celery_app
from tenants.context import agency_transaction
from tenants.models import Agency

NOT_FOUND = "404"  # kombu passes the reply code as text or as a number
POLICY_BUCKETS_MS = (1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500)
SEARCH_BUCKETS_S = (0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)

_SQL_SEARCHES = "SELECT status, count(*) FROM matching_search WHERE agency_id = %s GROUP BY 1"
_SQL_DECISIONS = "SELECT allow, count(*) FROM policy_policydecision WHERE agency_id = %s GROUP BY 1"
_SQL_REASONS = (
    "SELECT r->>'code', count(*) FROM policy_policydecision, "
    "jsonb_array_elements(reasons) AS r WHERE agency_id = %s GROUP BY 1"
)
_SQL_WEBHOOKS = (
    "SELECT coalesce(sum(failures), 0), "
    "count(*) FILTER (WHERE status = 'failed') FROM notifications_webhookdelivery "
    "WHERE agency_id = %s"
)
_SQL_ENROLLED = (
    "SELECT coalesce(sum(enrolled), 0), coalesce(sum(rejected), 0), "
    "coalesce(sum(skipped), 0) FROM matching_enrollmentbatch WHERE agency_id = %s"
)


def _histogram_sql(table: str, value: str, where: str, bounds: Sequence[float]) -> str:
    """Build a bucket-count query from the constants below (no caller-supplied text)."""
    counts = ", ".join(f"count(*) FILTER (WHERE {value} <= {float(b)})" for b in bounds)
    return (
        f"SELECT {counts}, count(*), coalesce(sum({value}), 0) FROM {table} "  # noqa: S608
        f"WHERE agency_id = %s {where}"
    )


_SQL_POLICY_LATENCY = _histogram_sql("policy_policydecision", "latency_ms", "", POLICY_BUCKETS_MS)
_SQL_SEARCH_DURATION = _histogram_sql(
    "matching_search",
    "extract(epoch FROM completed_at - created_at)",
    "AND completed_at IS NOT NULL",
    SEARCH_BUCKETS_S,
)


def _buckets(
    row: Sequence[float], bounds: Sequence[float], scale: float = 1.0
) -> tuple[list[tuple[str, float]], float]:
    buckets = [(str(b / scale), float(row[i])) for i, b in enumerate(bounds)]
    buckets.append(("+Inf", float(row[len(bounds)])))
    return buckets, float(row[len(bounds) + 1]) / scale


class DatabaseCollector(Collector):
    """Collect the service's figures from its tables, one agency at a time."""

    def collect(self) -> Iterator[Metric]:
        searches = GaugeMetricFamily(
            "probity_searches", "Searches by current status.", labels=["agency", "status"]
        )
        decisions = CounterMetricFamily(
            "probity_policy_decisions", "Policy decisions by outcome.", labels=["agency", "outcome"]
        )
        reasons = CounterMetricFamily(
            "probity_policy_decision_reasons",
            "Reasons given in policy decisions, by code.",
            labels=["agency", "reason"],
        )
        latency = HistogramMetricFamily(
            "probity_policy_decision_seconds",
            "Time the policy engine took per decision.",
            labels=["agency"],
        )
        duration = HistogramMetricFamily(
            "probity_search_duration_seconds",
            "Submission to finish of searches that finished (queue wait plus the task).",
            labels=["agency"],
        )
        images = CounterMetricFamily(
            "probity_enrollment_images",
            "Enrollment images processed, by result.",
            labels=["agency", "result"],
        )
        webhook_failures = CounterMetricFamily(
            "probity_webhook_delivery_failures",
            "Failed webhook delivery attempts (each retry counts).",
            labels=["agency"],
        )
        webhook_given_up = CounterMetricFamily(
            "probity_webhook_deliveries_failed",
            "Webhook deliveries given up after every retry.",
            labels=["agency"],
        )
        for agency_id in Agency.objects.order_by("id").values_list("id", flat=True):
            with agency_transaction(agency_id), connection.cursor() as cursor:
                cursor.execute(_SQL_SEARCHES, [agency_id])
                for status, count in cursor.fetchall():
                    searches.add_metric([agency_id, status], count)
                cursor.execute(_SQL_DECISIONS, [agency_id])
                for allow, count in cursor.fetchall():
                    decisions.add_metric([agency_id, "allow" if allow else "deny"], count)
                cursor.execute(_SQL_REASONS, [agency_id])
                for code, count in cursor.fetchall():
                    reasons.add_metric([agency_id, str(code)], count)
                cursor.execute(_SQL_POLICY_LATENCY, [agency_id])
                buckets, total = _buckets(cursor.fetchone(), POLICY_BUCKETS_MS, scale=1000)
                latency.add_metric([agency_id], buckets, total)
                cursor.execute(_SQL_SEARCH_DURATION, [agency_id])
                buckets, total = _buckets(cursor.fetchone(), SEARCH_BUCKETS_S)
                duration.add_metric([agency_id], buckets, total)
                cursor.execute(_SQL_ENROLLED, [agency_id])
                enrolled, rejected, skipped = cursor.fetchone()
                for result, count in (
                    ("enrolled", enrolled),
                    ("rejected", rejected),
                    ("skipped", skipped),
                ):
                    images.add_metric([agency_id, result], float(count))
                cursor.execute(_SQL_WEBHOOKS, [agency_id])
                failures, given_up = cursor.fetchone()
                webhook_failures.add_metric([agency_id], float(failures))
                webhook_given_up.add_metric([agency_id], float(given_up))
        yield from (
            searches,
            decisions,
            reasons,
            latency,
            duration,
            images,
            webhook_failures,
            webhook_given_up,
        )


class BrokerCollector(Collector):
    """Collect the depth of the task queue (messages waiting for a worker)."""

    def collect(self) -> Iterator[Metric]:
        queue = celery_app.conf.task_default_queue
        up = GaugeMetricFamily("probity_broker_up", "Whether the broker answered the scrape.")
        depth = GaugeMetricFamily(
            "probity_task_queue_depth", "Tasks waiting in the queue.", labels=["queue"]
        )
        try:
            with celery_app.connection_for_read() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
                depth.add_metric([queue], _queue_depth(conn.default_channel, queue))
            up.add_metric([], 1)
        except Exception:
            up.add_metric([], 0)
        yield up
        yield depth


def _queue_depth(channel: Any, queue: str) -> int:
    """Return the messages waiting in ``queue``; Redis and kombu's virtual transports report
    an empty queue as missing."""
    try:
        _, waiting, _ = channel.queue_declare(queue=queue, passive=True)
    except ChannelError as exc:
        if str(getattr(exc, "reply_code", "")) == NOT_FOUND:
            return 0
        raise
    return int(waiting)


def registry_build() -> CollectorRegistry:
    """Return a registry holding the service's collectors (extra collectors register here)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    registry.register(BrokerCollector())
    return registry


REGISTRY = registry_build()


def metrics(request: HttpRequest) -> HttpResponse:
    """Serve the metrics to a scraper holding ``METRICS_TOKEN``; 404 while none is set."""
    expected = settings.METRICS_TOKEN
    if not expected:
        return HttpResponse(status=404)
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        presented.strip().encode(), expected.encode()
    ):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="probity-metrics"'
        return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
