"""A lost database connection: run the request again when nothing of it can have committed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client

from tests.tenants import outage_urls

pytestmark = pytest.mark.urls("tests.tenants.outage_urls")


@pytest.fixture
def runs(committed: None) -> Iterator[list[str]]:
    """Start each request on a fresh connection (the test client keeps the thread's one)."""
    connections.close_all()
    outage_urls.RUNS.clear()
    yield outage_urls.RUNS
    outage_urls.RUNS.clear()
    connections.close_all()


def test_read_that_loses_its_connection_is_run_again(runs: list[str]) -> None:
    response = Client().get("/read")
    assert response.status_code == 200
    assert runs == ["read", "read"]


def test_write_rolled_back_by_the_loss_is_run_again_with_its_upload(runs: list[str]) -> None:
    upload = SimpleUploadedFile("probe.jpg", b"\xff\xd8 probe bytes", "image/jpeg")
    response = Client().post("/in-transaction", {"probe": upload})
    assert response.status_code == 200
    assert response.content == b"\xff\xd8 probe bytes"
    assert runs == ["write", "write"]


def test_write_after_a_read_only_transaction_is_run_again(runs: list[str]) -> None:
    response = Client().post("/after-read-only-transaction", {"field": "x"})
    assert response.status_code == 200
    assert runs == ["write", "write"]


def test_write_after_a_commit_is_not_run_again(runs: list[str]) -> None:
    response = Client().post("/after-commit", {"field": "x"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response["Retry-After"] == "2"
    assert runs == ["write"]


def test_write_after_an_autocommit_write_is_not_run_again(runs: list[str]) -> None:
    response = Client().post(
        "/after-autocommit-write", data=b'{"a": 1}', content_type="application/json"
    )
    assert response.status_code == 503
    assert runs == ["write"]
