"""Settings are read once at start-up; a bad value stops the process and names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import SettingError, env_bool, env_float, env_int, env_list, env_str, env_url

ROOT = Path(__file__).resolve().parent.parent


def test_integers_within_their_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROBITY_T", " 42 ")
    assert env_int("PROBITY_T", 1, minimum=1, maximum=100) == 42
    for bad in ("10MB", "0", "101", "4.5"):
        monkeypatch.setenv("PROBITY_T", bad)
        with pytest.raises(SettingError, match=r"PROBITY_T=.* expected an integer from 1 to 100"):
            env_int("PROBITY_T", 1, minimum=1, maximum=100)
    monkeypatch.delenv("PROBITY_T")
    assert env_int("PROBITY_T", 7) == 7


def test_numbers_booleans_choices_lists_and_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROBITY_T", "nan")
    with pytest.raises(SettingError):
        env_float("PROBITY_T", 1.0, minimum=0)
    monkeypatch.setenv("PROBITY_T", "yes")
    assert env_bool("PROBITY_T", False) is True
    monkeypatch.setenv("PROBITY_T", "maybe")
    with pytest.raises(SettingError, match="1/true/yes/on"):
        env_bool("PROBITY_T", False)
    monkeypatch.setenv("PROBITY_T", "cnn ")
    with pytest.raises(SettingError, match="one of hog, cnn"):
        env_str("PROBITY_T", "hog", choices=("hog", "cnn"))
    monkeypatch.setenv("PROBITY_T", "a.example, ,b.example")
    assert env_list("PROBITY_T") == ["a.example", "b.example"]
    monkeypatch.setenv("PROBITY_T", "opa:8181")
    with pytest.raises(SettingError, match="http:// or https://"):
        env_url("PROBITY_T", schemes=("http", "https"))
    monkeypatch.setenv("PROBITY_T", "https://opa.internal:8181")
    assert env_url("PROBITY_T", schemes=("http", "https")) == "https://opa.internal:8181"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PROBE_MAX_BYTES", "10MB"),
        ("OPA_TIMEOUT_SECONDS", "-1"),
        ("OPA_URL", "opa:8181"),
        ("LOG_FORMAT", "xml"),
        ("WEBHOOK_MAX_ATTEMPTS", "0"),
        ("DJANGO_DEBUG", "sometimes"),
    ],
)
def test_the_service_refuses_to_start_on_a_bad_value(name: str, value: str) -> None:
    env = {
        **os.environ,
        name: value,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "postgresql://probity@127.0.0.1:9/probity",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert f"{name}={value!r} is not valid" in result.stderr
