"""What the API layer costs: a page of the search list, a search submit with and without an
``Idempotency-Key``, a replayed submit, and a ``/metrics`` scrape.

Every figure goes through the whole Django stack (middleware with request ids and the JSON
log line, token authentication, row-level security, serializers) and is compared with a
baseline measured in the same run, the two arms interleaved:

- list page: the same selector and output serializer called directly (no HTTP layer);
- submit with a key: the same submit without one (the key's claim and record);
- replayed submit: a fresh submit (what a retry costs when the key answers it).

The searches are ones the policy denies (protest monitoring), so no face is processed and no
worker is needed: what is measured is the API's own work.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

from bench.harness import (
    bench_database,
    bench_tenant,
    django_start,
    environment,
    json_emit,
    latency_summary,
    load_average,
    progress,
    stdout_reserve,
)

PHOTO = Path(__file__).resolve().parent.parent / "var" / "photos" / "obama3.jpg"


def _search_body(case_number: str) -> dict[str, Any]:
    return {
        "gallery": "booking",
        "purpose": "protest_monitoring",
        "offence": {"code": "CC 430", "category": "mischief", "indictable": False},
        "case_number": case_number,
        "justification": "Identify people attending a demonstration downtown.",
        "probe_source": "cctv",
        "probe_collected_in": "CA-ON",
        "probe_collected_municipality": "Toronto",
        "probe_subject_believed_minor": False,
        "probe_captured_at": "2026-11-20T14:30:00-05:00",
        "probe": base64.b64encode(PHOTO.read_bytes()).decode(),
    }


def measure(rounds: int, rows: int) -> dict[str, Any]:
    """Seed ``rows`` denied searches, then time each pair of arms ``rounds`` times."""
    from django.core import signals
    from django.db import close_old_connections
    from django.test import Client, override_settings
    from rest_framework.throttling import SimpleRateThrottle

    from matching.list_selectors import search_list
    from matching.outputs import SearchSummaryOutput
    from tenants.context import agency_transaction
    from tenants.models import TokenIssuer
    from tenants.need_to_know import Scope
    from tenants.pagination import OrderedCursorPagination
    from tenants.services import token_issue

    # One connection for the whole run, as a long-lived web process holds it.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    tenant = bench_tenant()
    token = token_issue(user=tenant.user, issued_via=TokenIssuer.OPERATOR_MFA_CHECK)
    # The per-user and per-agency budgets would stop the seeding; they are not what is measured.
    SimpleRateThrottle.THROTTLE_RATES = dict.fromkeys(
        SimpleRateThrottle.THROTTLE_RATES, "1000000/min"
    )
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")

    def submit(key: str | None, case: str) -> float:
        headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        began = time.perf_counter()
        response = client.post(
            "/api/v1/searches", _search_body(case), content_type="application/json", **headers
        )
        elapsed = time.perf_counter() - began
        assert response.status_code == 201, response.content
        return elapsed

    progress(f"seeding {rows} denied searches")
    for n in range(rows):
        submit(None, f"SEED-{n}")

    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    factory = APIRequestFactory()
    timings: dict[str, list[float]] = {
        k: []
        for k in (
            "list_http",
            "list_direct",
            "submit_with_key",
            "submit_without_key",
            "replay",
            "fresh",
            "metrics",
        )
    }
    progress(f"{rounds} rounds")
    scrape_token = secrets.token_urlsafe(16)
    with override_settings(METRICS_TOKEN=scrape_token):
        for n in range(rounds):
            began = time.perf_counter()
            page = client.get("/api/v1/searches?page_size=50")
            timings["list_http"].append(time.perf_counter() - began)
            assert page.status_code == 200
            assert len(page.json()["results"]) == 50

            began = time.perf_counter()
            request = Request(factory.get("/api/v1/searches?page_size=50"))
            pages = OrderedCursorPagination(choices=("-created_at",), default="-created_at")
            with agency_transaction(tenant.agency.id):
                found = pages.page_rows(
                    search_list(
                        agency=tenant.agency, user=tenant.user, scope=Scope.OWN, filters={}
                    ),
                    request,
                )
                rendered = SearchSummaryOutput(found, many=True).data
            timings["list_direct"].append(time.perf_counter() - began)
            assert len(rendered) == 50

            key = str(uuid.uuid4())
            # Alternate which arm goes first, so neither always runs on a warmer cache.
            arms = [
                ("submit_with_key", key, f"KEY-{n}"),
                ("submit_without_key", None, f"NOKEY-{n}"),
            ]
            for name, arm_key, case in arms if n % 2 else arms[::-1]:
                timings[name].append(submit(arm_key, case))
            arms = [("replay", key, f"KEY-{n}"), ("fresh", None, f"FRESH-{n}")]
            for name, arm_key, case in arms if n % 2 else arms[::-1]:
                timings[name].append(submit(arm_key, case))

            began = time.perf_counter()
            scraped = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {scrape_token}")
            timings["metrics"].append(time.perf_counter() - began)
            assert scraped.status_code == 200
    summary = {name: latency_summary(values) for name, values in timings.items()}
    return {
        "rounds": rounds,
        "searches_in_agency": rows + 4 * rounds,
        "list_page_50_ms": summary["list_http"],
        "baseline_list_selector_and_serializer_ms": summary["list_direct"],
        "submit_with_idempotency_key_ms": summary["submit_with_key"],
        "baseline_submit_without_key_ms": summary["submit_without_key"],
        "idempotency_key_overhead_ms_p50": round(
            summary["submit_with_key"]["p50"] - summary["submit_without_key"]["p50"], 3
        ),
        "replayed_submit_ms": summary["replay"],
        "baseline_fresh_submit_ms": summary["fresh"],
        "metrics_scrape_ms": summary["metrics"],
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--rows", type=int, default=200)
    args = parser.parse_args(argv)
    out = stdout_reserve()
    load_at_start = load_average()
    started = time.perf_counter()
    hosts = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
    os.environ["DJANGO_ALLOWED_HOSTS"] = f"{hosts},testserver"
    info = django_start()
    with bench_database():
        figures = measure(args.rounds, args.rows)
    json_emit(
        out,
        {
            "benchmark": "api_overhead",
            **figures,
            "setup": info,
            "environment": environment(load_at_start),
            "runtime_seconds": round(time.perf_counter() - started, 1),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
