"""OpaRestEngine against a local HTTP server that speaks OPA's Data API.

The server answers with the real embedded engine evaluating a small bundle, so an allow or
deny that crosses HTTP must equal the in-process decision; scripted faults exercise every
fail-closed path.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from policy.bundle import Bundle
from policy.decision import FAIL_CLOSED_CODE, Decision
from policy.embedded import EmbeddedRegoEngine
from policy.opa import OpaRestEngine, provenance_revision

MAIN_REGO = """package fr.main

import rego.v1

default decision := {
	"allow": false,
	"reasons": [{
		"code": "purpose_not_permitted",
		"message": "The stated purpose does not permit a search.",
		"authority": "Test authority",
		"kind": "deny",
	}],
	"obligations": {},
}

decision := {
	"allow": true,
	"reasons": [],
	"obligations": {
		"max_candidates": data.fr.limits.max_candidates,
		"min_similarity": 0.8,
		"probe_retention_days": 30,
	},
} if {
	input.purpose == "criminal_investigation"
}
"""

TEST_BUNDLE = Bundle(
    modules={"fr/main/main.rego": MAIN_REGO},
    data={"fr": {"limits": {"max_candidates": 7}}},
)

ALLOWED_INPUT = {"purpose": "criminal_investigation"}
DENIED_INPUT = {"purpose": "curiosity"}


class ThreadBoundEngine:
    """Build, use and drop an embedded engine on one thread, as regorus requires."""

    def __init__(self, bundle: Bundle) -> None:
        self.revision = bundle.revision
        self._executor = ThreadPoolExecutor(max_workers=1)
        self._slot: dict[str, EmbeddedRegoEngine] = {}
        self._executor.submit(self._build, bundle).result()

    def _build(self, bundle: Bundle) -> None:
        self._slot["engine"] = EmbeddedRegoEngine(bundle)

    def decide(self, policy_input: Any) -> Decision:
        return self._executor.submit(lambda: self._slot["engine"].decide(policy_input)).result()

    def close(self) -> None:
        self._executor.submit(self._slot.clear).result()
        self._executor.shutdown(wait=True)


@dataclass
class FakeOpa:
    """A scripted OPA: each request takes the next scripted action, then plain decisions."""

    engine: ThreadBoundEngine
    base_url: str = ""
    script: list[Any] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    health_status: int = 200
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def next_action(self) -> Any:
        with self.lock:
            return self.script.pop(0) if self.script else "decide"

    def decision_posts(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["method"] == "POST"]


def _handler_for(opa: FakeOpa) -> type[BaseHTTPRequestHandler]:
    class OpaHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            with opa.lock:
                opa.requests.append({"method": "GET", "path": url.path, "query": url.query})
            if url.path == "/health":
                self._send_json(opa.health_status, {})
            else:
                self._send_json(404, {"code": "resource_not_found"})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            with opa.lock:
                opa.requests.append(
                    {
                        "method": "POST",
                        "path": url.path,
                        "query": parse_qs(url.query),
                        "headers": dict(self.headers.items()),
                        "body": body,
                    }
                )
            action = opa.next_action()
            if isinstance(action, tuple) and action[0] == "sleep":
                if opa.released.wait(action[1]):  # the test is over: nobody waits for this
                    self.close_connection = True
                    return
                action = "decide"
            if isinstance(action, tuple) and action[0] == "trickle":
                self._trickle(action[1])
                return
            if action == "decide":
                self._send_json(200, self._decide(url.path, body.get("input")))
            elif isinstance(action, int):
                self._send_json(action, {"code": "internal_error", "message": f"status {action}"})
            elif isinstance(action, bytes):
                self._send_raw(200, action)
            else:
                self._send_json(200, action)

        def _decide(self, path: str, policy_input: Any) -> dict[str, Any]:
            provenance = {
                "version": "1.0.0",
                "bundles": {"probity": {"revision": opa.engine.revision}},
            }
            decision_id = f"decision-{next(opa.ids)}"
            if path != "/v1/data/fr/main/decision":
                return {"decision_id": decision_id, "provenance": provenance}
            decision = opa.engine.decide(policy_input)
            result = {
                "allow": decision.allow,
                "reasons": decision.reasons,
                "obligations": decision.obligations,
            }
            return {"result": result, "decision_id": decision_id, "provenance": provenance}

        def _trickle(self, seconds: float) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            stop = time.monotonic() + seconds
            while time.monotonic() < stop and not opa.released.is_set():
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.02)
            self.close_connection = True

        def _send_json(self, status: int, document: Any) -> None:
            self._send_raw(status, json.dumps(document).encode())

        def _send_raw(self, status: int, payload: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                self.close_connection = True

    return OpaHandler


@pytest.fixture
def fake_opa() -> Iterator[FakeOpa]:
    opa = FakeOpa(engine=ThreadBoundEngine(TEST_BUNDLE))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(opa))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    opa.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield opa
    finally:
        opa.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        opa.engine.close()


def _engine(opa: FakeOpa, **overrides: Any) -> OpaRestEngine:
    options: dict[str, Any] = {
        "base_url": opa.base_url,
        "timeout_seconds": 1.0,
        "backoff_seconds": 0.01,
    }
    options.update(overrides)
    return OpaRestEngine(**options)


def _closed_port_url() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _assert_fail_closed(decision: Any) -> None:
    assert decision.allow is False
    assert decision.codes == [FAIL_CLOSED_CODE]
    assert decision.error


@pytest.mark.parametrize("policy_input", [ALLOWED_INPUT, DENIED_INPUT, {}])
def test_decision_over_rest_matches_embedded_engine(fake_opa, policy_input):
    embedded = EmbeddedRegoEngine(TEST_BUNDLE).decide(policy_input)

    decision = _engine(fake_opa).decide(policy_input)

    assert (decision.allow, decision.reasons, decision.obligations) == (
        embedded.allow,
        embedded.reasons,
        embedded.obligations,
    )
    assert decision.engine == "opa-rest"
    assert decision.error == ""


def test_allow_carries_obligations_decision_id_and_revision(fake_opa):
    decision = _engine(fake_opa).decide(ALLOWED_INPUT)

    assert decision.allow is True
    assert decision.obligations == {
        "max_candidates": 7,
        "min_similarity": 0.8,
        "probe_retention_days": 30,
    }
    assert decision.engine_decision_id == "decision-1"
    assert decision.bundle_revision == TEST_BUNDLE.revision
    assert decision.latency_ms > 0


def test_deny_reasons_come_through(fake_opa):
    decision = _engine(fake_opa).decide(DENIED_INPUT)

    assert decision.allow is False
    assert decision.codes == ["purpose_not_permitted"]
    assert decision.error == ""


def test_request_is_opa_data_api_post_with_provenance(fake_opa):
    _engine(fake_opa).decide(ALLOWED_INPUT)

    [request] = fake_opa.decision_posts()
    assert request["path"] == "/v1/data/fr/main/decision"
    assert request["query"] == {"provenance": ["true"]}
    assert request["body"] == {"input": ALLOWED_INPUT}
    assert request["headers"]["Content-Type"] == "application/json"
    assert "Authorization" not in request["headers"]


def test_bearer_token_sent_when_configured(fake_opa):
    _engine(fake_opa, token="opa-secret").decide(ALLOWED_INPUT)

    [request] = fake_opa.decision_posts()
    assert request["headers"]["Authorization"] == "Bearer opa-secret"


def test_decision_path_is_configurable(fake_opa):
    decision = _engine(fake_opa, decision_path="/fr/other/decision/").decide(ALLOWED_INPUT)

    [request] = fake_opa.decision_posts()
    assert request["path"] == "/v1/data/fr/other/decision"
    _assert_fail_closed(decision)
    assert decision.engine_decision_id == "decision-1"


def test_timeout_denies_within_the_budget(fake_opa):
    fake_opa.script = [("sleep", 10), ("sleep", 10), ("sleep", 10)]
    engine = _engine(fake_opa, timeout_seconds=0.3)

    started = time.monotonic()
    decision = engine.decide(ALLOWED_INPUT)
    elapsed = time.monotonic() - started

    _assert_fail_closed(decision)
    assert "timeout" in decision.error
    assert elapsed < 2 * 0.3 + 0.4
    assert len(fake_opa.decision_posts()) == 2


def test_read_timeout_retried_once_then_allowed(fake_opa):
    """The first request stalls until the test ends; the retry is answered at once.

    The 2 s attempt timeout and a budget with room for a whole second attempt stay far above
    a loaded machine's scheduling delays, so only the stall can make an attempt time out.
    """
    fake_opa.script = [("sleep", 60)]
    engine = _engine(fake_opa, timeout_seconds=2.0, budget_seconds=6.0)

    started = time.monotonic()
    decision = engine.decide(ALLOWED_INPUT)
    elapsed = time.monotonic() - started

    assert decision.allow is True
    assert len(fake_opa.decision_posts()) == 2
    assert elapsed >= 2.0  # the first attempt waited out its timeout: it was retried, not answered


def test_trickling_body_cannot_outlast_the_budget(fake_opa):
    fake_opa.script = [("trickle", 10)]
    engine = _engine(fake_opa, timeout_seconds=0.3)

    started = time.monotonic()
    decision = engine.decide(ALLOWED_INPUT)
    elapsed = time.monotonic() - started

    _assert_fail_closed(decision)
    assert "time budget" in decision.error
    assert elapsed < 2 * 0.3 + 0.4


def test_internal_error_denies_without_retry(fake_opa):
    fake_opa.script = [500]

    decision = _engine(fake_opa).decide(ALLOWED_INPUT)

    _assert_fail_closed(decision)
    assert "HTTP 500" in decision.error
    assert "internal_error" in decision.error
    assert len(fake_opa.decision_posts()) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_deny_without_retry(fake_opa, status):
    fake_opa.script = [status]

    decision = _engine(fake_opa).decide(ALLOWED_INPUT)

    _assert_fail_closed(decision)
    assert f"HTTP {status}" in decision.error
    assert len(fake_opa.decision_posts()) == 1


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_transient_status_retried_then_allowed(fake_opa, status):
    fake_opa.script = [status]

    decision = _engine(fake_opa).decide(ALLOWED_INPUT)

    assert decision.allow is True
    assert len(fake_opa.decision_posts()) == 2


def test_unavailable_forever_denies_after_bounded_retries(fake_opa):
    fake_opa.script = [503] * 10

    started = time.monotonic()
    decision = _engine(fake_opa, retries=2).decide(ALLOWED_INPUT)
    elapsed = time.monotonic() - started

    _assert_fail_closed(decision)
    assert "HTTP 503" in decision.error
    assert "3 attempt" in decision.error
    assert len(fake_opa.decision_posts()) == 3
    assert elapsed < 1.0


def test_no_retries_when_disabled(fake_opa):
    fake_opa.script = [503, 503]

    decision = _engine(fake_opa, retries=0).decide(ALLOWED_INPUT)

    _assert_fail_closed(decision)
    assert len(fake_opa.decision_posts()) == 1


@pytest.mark.parametrize(
    "payload",
    [b"not json", b'{"result": ', b"[1, 2]", b'"allow"', b"\xff\xfe"],
    ids=["text", "truncated", "array", "string", "binary"],
)
def test_malformed_body_denies(fake_opa, payload):
    fake_opa.script = [payload]

    _assert_fail_closed(_engine(fake_opa).decide(ALLOWED_INPUT))


@pytest.mark.parametrize(
    "document",
    [{}, {"decision_id": "d-undefined"}, {"result": None}],
    ids=["empty", "decision-id-only", "null-result"],
)
def test_undefined_result_denies(fake_opa, document):
    fake_opa.script = [document]

    decision = _engine(fake_opa).decide(ALLOWED_INPUT)

    _assert_fail_closed(decision)
    assert decision.engine_decision_id == document.get("decision_id", "")


@pytest.mark.parametrize(
    "result",
    [
        True,
        "allow",
        {"allow": "yes", "reasons": [], "obligations": {}},
        {"allow": True, "reasons": "none", "obligations": {}},
        {"allow": True, "reasons": [{"message": "no code"}], "obligations": {}},
        {"allow": True, "reasons": []},
    ],
    ids=[
        "bool",
        "string",
        "allow-string",
        "reasons-string",
        "reason-without-code",
        "no-obligations",
    ],
)
def test_wrong_shaped_result_denies(fake_opa, result):
    fake_opa.script = [{"result": result, "decision_id": "d-bad"}]

    decision = _engine(fake_opa).decide(ALLOWED_INPUT)

    _assert_fail_closed(decision)
    assert decision.engine_decision_id == "d-bad"


def test_oversized_response_denies(fake_opa):
    padding = "x" * (2 * 1024 * 1024)
    fake_opa.script = [{"result": {"allow": True, "reasons": [], "obligations": {"pad": padding}}}]

    decision = _engine(fake_opa).decide(ALLOWED_INPUT)

    _assert_fail_closed(decision)
    assert "larger than" in decision.error
    assert len(fake_opa.decision_posts()) == 1


def test_allow_with_obligations_that_cannot_be_enforced_is_recorded_as_a_deny(fake_opa):
    fake_opa.script = [
        {
            "result": {
                "allow": True,
                "reasons": [],
                "obligations": {
                    "max_candidates": 0,
                    "min_similarity": 2,
                    "probe_retention_days": -1,
                },
            }
        }
    ]

    decision = _engine(fake_opa).decide(ALLOWED_INPUT)

    assert decision.allow is False
    assert decision.codes == ["obligations_invalid"]
    assert decision.reasons[0]["kind"] == "deny"


def test_allow_with_a_deny_reason_is_denied(fake_opa):
    result = {"allow": True, "reasons": [{"code": "x", "kind": "deny"}], "obligations": {}}
    fake_opa.script = [{"result": result}]

    decision = _engine(fake_opa).decide(ALLOWED_INPUT)

    assert decision.allow is False
    assert decision.bundle_revision == "unknown"


def test_connection_refused_denies():
    engine = OpaRestEngine(base_url=_closed_port_url(), timeout_seconds=0.5, backoff_seconds=0.01)

    started = time.monotonic()
    decision = engine.decide(ALLOWED_INPUT)

    _assert_fail_closed(decision)
    assert "ConnectError" in decision.error
    assert "3 attempt" in decision.error
    assert time.monotonic() - started < 1.5


def test_input_that_is_not_json_denies_without_a_request(fake_opa):
    decision = _engine(fake_opa).decide({"when": object()})

    _assert_fail_closed(decision)
    assert fake_opa.decision_posts() == []


def test_concurrent_decisions_share_one_client(fake_opa):
    engine = _engine(fake_opa)
    inputs = [ALLOWED_INPUT if i % 2 else DENIED_INPUT for i in range(24)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        decisions = list(pool.map(engine.decide, inputs))

    assert [d.allow for d in decisions] == [i is ALLOWED_INPUT for i in inputs]
    assert len({d.engine_decision_id for d in decisions}) == len(inputs)
    engine.close()


def test_health_true_when_opa_answers(fake_opa):
    healthy, detail = _engine(fake_opa).health()

    assert healthy is True
    assert fake_opa.base_url in detail
    [request] = [r for r in fake_opa.requests if r["method"] == "GET"]
    assert request["path"] == "/health"
    assert request["query"] == "bundles=true"


def test_health_false_when_bundle_not_active(fake_opa):
    fake_opa.health_status = 500

    healthy, detail = _engine(fake_opa).health()

    assert healthy is False
    assert "500" in detail


def test_health_false_when_unreachable():
    healthy, detail = OpaRestEngine(base_url=_closed_port_url(), timeout_seconds=0.5).health()

    assert healthy is False
    assert "unreachable" in detail


@pytest.mark.parametrize(
    ("provenance", "expected"),
    [
        ({"bundles": {"probity": {"revision": "r1"}, "other": {"revision": "r2"}}}, "r1"),
        ({"bundles": {"only": {"revision": "r3"}}}, "r3"),
        ({"bundles": {"b": {"revision": "r5"}, "a": {"revision": "r4"}}}, "a=r4,b=r5"),
        ({"revision": "legacy"}, "legacy"),
        ({"bundles": {"probity": {}}}, "unknown"),
        ({}, "unknown"),
        (None, "unknown"),
        ("r1", "unknown"),
    ],
)
def test_provenance_revision(provenance, expected):
    assert provenance_revision(provenance, bundle_name="probity") == expected
