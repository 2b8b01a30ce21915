"""The OPA REST engine: ask OPA servers for decisions over the Data API and fail closed.

A decision is a side-effect-free evaluation, so a request that may or may not have reached
OPA is safe to send again. Retries are still bounded twice over: a fixed number of attempts
and one time budget for the whole call, so a slow or dead OPA delays a search by at most
about twice the configured timeout before it is denied.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from policy.decision import Decision, decision_from_result, fail_closed

DEFAULT_DECISION_PATH = "fr/main/decision"
DEFAULT_BUNDLE_NAME = "probity"
UNKNOWN_REVISION = "unknown"

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
MAX_RESPONSE_BYTES = 1024 * 1024
MAX_ERROR_BODY_BYTES = 4096
MIN_ATTEMPT_SECONDS = 0.05
MAX_ERROR_CHARS = 300

_TRANSIENT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class _ResponseTooLargeError(Exception):
    """The server sent more than the engine is willing to read."""


class _DeadlineExceededError(Exception):
    """The call's time budget ran out while the body was still arriving."""


@dataclass(frozen=True)
class _Reply:
    """What one HTTP attempt produced: a status and body, or a transport failure."""

    status: int | None = None
    payload: bytes = b""
    error: str = ""
    retryable: bool = False
    retry_after: float = 0.0


class OpaRestEngine:
    """Ask an OPA server for ``data.<decision_path>``; every failure is a deny."""

    name = "opa-rest"

    def __init__(
        self,
        *,
        base_url: str,
        decision_path: str = DEFAULT_DECISION_PATH,
        timeout_seconds: float = 2.0,
        token: str = "",
        retries: int = 2,
        backoff_seconds: float = 0.05,
        budget_seconds: float | None = None,
        bundle_name: str = DEFAULT_BUNDLE_NAME,
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self.base_url = base_url.rstrip("/")
        self.decision_path = decision_path.strip("/")
        self.decision_url = f"{self.base_url}/v1/data/{self.decision_path}"
        self.health_url = f"{self.base_url}/health"
        self.timeout_seconds = timeout_seconds
        self.retries = max(0, retries)
        self.backoff_seconds = max(0.0, backoff_seconds)
        self.budget_seconds = budget_seconds if budget_seconds is not None else 2 * timeout_seconds
        self.bundle_name = bundle_name
        self._headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._client_lock = threading.Lock()
        self._http: httpx.Client | None = None
        self._http_pid = 0

    def decide(self, policy_input: dict[str, Any]) -> Decision:
        """Return OPA's decision for ``policy_input``; never raise, deny on any failure."""
        started = time.perf_counter()
        try:
            return self._decide(policy_input, started)
        except Exception as exc:  # every client failure must fail closed, never raise
            return self._deny(started, f"{type(exc).__name__}: {exc}")

    def health(self) -> tuple[bool, str]:
        """Ask OPA whether it is up and has activated its bundles, so decisions can be made."""
        try:
            response = self._client().get(
                self.health_url,
                params={"bundles": "true"},
                timeout=httpx.Timeout(self.timeout_seconds),
            )
        except httpx.HTTPError as exc:
            return False, f"{self.name} {self.base_url} unreachable: {type(exc).__name__}"
        if response.status_code != httpx.codes.OK:
            return False, f"{self.name} {self.base_url} unhealthy: HTTP {response.status_code}"
        return True, f"{self.name} {self.base_url} healthy"

    def close(self) -> None:
        """Release pooled connections."""
        with self._client_lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    def _decide(self, policy_input: dict[str, Any], started: float) -> Decision:
        try:
            body = json.dumps({"input": policy_input}, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            return self._deny(started, f"input is not JSON-serializable: {exc}")
        reply, attempts = self._exchange(body, started)
        if reply.status is None:
            return self._deny(started, f"{reply.error} after {attempts} attempt(s)")
        if reply.status != httpx.codes.OK:
            return self._deny(
                started, f"HTTP {reply.status}{reply.error} after {attempts} attempt(s)"
            )
        try:
            document = json.loads(reply.payload)
        except (ValueError, RecursionError):
            return self._deny(started, "response is not JSON")
        if not isinstance(document, dict):
            return self._deny(started, "response is not a JSON object")
        decision_id = document.get("decision_id")
        engine_decision_id = decision_id if isinstance(decision_id, str) else ""
        revision = provenance_revision(document.get("provenance"), bundle_name=self.bundle_name)
        if "result" not in document:
            denied = self._deny(
                started, f"decision undefined at {self.decision_path}", bundle_revision=revision
            )
            return dataclasses.replace(denied, engine_decision_id=engine_decision_id)
        decision = decision_from_result(
            document["result"],
            engine=self.name,
            bundle_revision=revision,
            latency_ms=_elapsed_ms(started),
            engine_decision_id=engine_decision_id,
        )
        # A malformed answer is still in OPA's decision log; keep the id that finds it there.
        return dataclasses.replace(decision, engine_decision_id=engine_decision_id)

    def _exchange(self, body: bytes, started: float) -> tuple[_Reply, int]:
        """Send the query, retrying transient failures within the attempt and time budgets."""
        deadline = started + self.budget_seconds
        attempts = 0
        while True:
            attempts += 1
            timeout = min(self.timeout_seconds, deadline - time.perf_counter())
            reply = self._attempt(body, timeout=timeout, deadline=deadline)
            if not reply.retryable or attempts > self.retries:
                return reply, attempts
            delay = max(self.backoff_seconds * 2 ** (attempts - 1), reply.retry_after)
            if time.perf_counter() + delay + MIN_ATTEMPT_SECONDS > deadline:
                return reply, attempts
            time.sleep(delay)

    def _attempt(self, body: bytes, *, timeout: float, deadline: float) -> _Reply:
        if timeout < MIN_ATTEMPT_SECONDS:
            return _Reply(error="time budget exhausted")
        try:
            with self._client().stream(
                "POST",
                self.decision_url,
                params={"provenance": "true"},
                content=body,
                headers=self._headers,
                timeout=httpx.Timeout(timeout),
            ) as response:
                status = response.status_code
                if status in RETRYABLE_STATUSES:
                    return _Reply(
                        status=status,
                        retryable=True,
                        retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
                    )
                if status != httpx.codes.OK:
                    summary = _opa_error_summary(
                        _read_capped(response, limit=MAX_ERROR_BODY_BYTES, deadline=deadline)
                    )
                    return _Reply(status=status, error=summary)
                return _Reply(
                    status=status,
                    payload=_read_capped(response, limit=MAX_RESPONSE_BYTES, deadline=deadline),
                )
        except _TRANSIENT_ERRORS as exc:
            return _Reply(error=_transport_error_summary(exc), retryable=True)
        except httpx.HTTPError as exc:
            return _Reply(error=_transport_error_summary(exc))
        except _ResponseTooLargeError:
            return _Reply(error=f"response larger than {MAX_RESPONSE_BYTES} bytes")
        except _DeadlineExceededError:
            return _Reply(error="time budget exhausted while reading the response")

    def _client(self) -> httpx.Client:
        """Return this process's pooled client; a forked worker must not reuse the parent's."""
        pid = os.getpid()
        with self._client_lock:
            if self._http is None or self._http_pid != pid:
                self._http = httpx.Client(follow_redirects=False)
                self._http_pid = pid
            return self._http

    def _deny(
        self, started: float, error: str, *, bundle_revision: str = UNKNOWN_REVISION
    ) -> Decision:
        return fail_closed(
            engine=self.name,
            bundle_revision=bundle_revision,
            error=error[:MAX_ERROR_CHARS],
            latency_ms=_elapsed_ms(started),
        )


def provenance_revision(provenance: Any, *, bundle_name: str = DEFAULT_BUNDLE_NAME) -> str:
    """Return the policy revision OPA evaluated, from ``?provenance=true``, else ``unknown``.

    OPA reports one revision per activated bundle; the named bundle wins, a lone bundle is
    unambiguous, and several unnamed ones are all recorded so no revision is lost.
    """
    if not isinstance(provenance, dict):
        return UNKNOWN_REVISION
    bundles = provenance.get("bundles")
    if isinstance(bundles, dict):
        revisions: dict[str, str] = {
            str(name): str(info["revision"])
            for name, info in bundles.items()
            if isinstance(info, dict) and isinstance(info.get("revision"), str)
        }
        if bundle_name in revisions:
            return revisions[bundle_name]
        if len(revisions) == 1:
            return next(iter(revisions.values()))
        if revisions:
            return ",".join(f"{name}={revisions[name]}" for name in sorted(revisions))
    legacy = provenance.get("revision")
    if isinstance(legacy, str) and legacy:
        return legacy
    return UNKNOWN_REVISION


def _read_capped(response: httpx.Response, *, limit: int, deadline: float) -> bytes:
    """Read the body, refusing oversized answers and bodies that trickle past the deadline."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _ResponseTooLargeError
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise _ResponseTooLargeError
        if time.perf_counter() > deadline:
            raise _DeadlineExceededError
        chunks.append(chunk)
    return b"".join(chunks)


def _retry_after_seconds(value: str | None) -> float:
    """Return a delta-seconds ``Retry-After``; dates are ignored as the budget is seconds long."""
    if value is None:
        return 0.0
    try:
        seconds = float(value.strip())
    except ValueError:
        return 0.0
    return seconds if seconds > 0 else 0.0


def _opa_error_summary(body: bytes) -> str:
    """Return OPA's error code and message (``{"code": ..., "message": ...}``) if present."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return ""
    if not isinstance(document, dict):
        return ""
    parts = [document[key] for key in ("code", "message") if isinstance(document.get(key), str)]
    return f" ({': '.join(parts)})" if parts else ""


def _transport_error_summary(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout ({type(exc).__name__})"
    return f"transport error ({type(exc).__name__})"


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
