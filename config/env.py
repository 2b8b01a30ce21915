"""Read every setting from the environment once, at start-up, and refuse a bad value.

A typo in a limit or a URL must stop the process with the variable's name and what it
expects, not surface later as a 500 or, worse, as a silently different limit.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})


class SettingError(ImproperlyConfigured):
    """An environment variable holds a value the service cannot run with."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(f"{name}={value!r} is not valid: expected {expected}.")
        self.name = name


def env_str(name: str, default: str = "", *, choices: Sequence[str] | None = None) -> str:
    """Return a string setting, one of ``choices`` when given."""
    value = os.environ.get(name, default)
    if choices is not None and value not in choices:
        raise SettingError(name, value, "one of " + ", ".join(choices))
    return value


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return an integer setting within ``[minimum, maximum]``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingError(name, raw, _range("an integer", minimum, maximum)) from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise SettingError(name, raw, _range("an integer", minimum, maximum))
    return value


def env_float(
    name: str, default: float, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    """Return a number setting within ``[minimum, maximum]``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise SettingError(name, raw, _range("a number", minimum, maximum)) from None
    if (
        value != value
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        raise SettingError(name, raw, _range("a number", minimum, maximum))
    return value


def env_bool(name: str, default: bool) -> bool:
    """Return a boolean setting: 1/true/yes/on or 0/false/no/off."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in TRUE:
        return True
    if raw.strip().lower() in FALSE:
        return False
    raise SettingError(name, raw, "1/true/yes/on or 0/false/no/off")


def env_list(name: str, default: str = "") -> list[str]:
    """Return a comma-separated list setting, blanks dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_url(name: str, default: str = "", *, schemes: Sequence[str]) -> str:
    """Return a URL setting (or empty) whose scheme is one of ``schemes`` and has a host."""
    value = os.environ.get(name, default).strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in schemes or (not parts.netloc and parts.scheme in ("http", "https")):
        raise SettingError(
            name, value, "a URL starting with " + " or ".join(f"{s}://" for s in schemes)
        )
    return value


def _range(kind: str, minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} from {minimum} to {maximum}"
    if minimum is not None:
        return f"{kind} of at least {minimum}"
    if maximum is not None:
        return f"{kind} of at most {maximum}"
    return kind
