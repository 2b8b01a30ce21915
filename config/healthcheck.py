"""Probe a health URL from inside a container: exit 0 on HTTP 200, 1 otherwise.

The image has no curl; this uses the standard library only, so the health check cannot break
because a tool is missing. Usage: ``python -m config.healthcheck http://127.0.0.1:8000/healthz``.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request


def health_probe(url: str, *, timeout: float = 4.0) -> bool:
    """Return whether ``url`` answers 200 within ``timeout`` seconds."""
    if not url.startswith(("http://127.0.0.1", "http://localhost")):
        raise ValueError("health checks probe the local process only")
    request = urllib.request.Request(url, headers={"Host": "localhost"})  # noqa: S310 - checked
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


if __name__ == "__main__":
    sys.exit(0 if health_probe(sys.argv[1] if len(sys.argv) > 1 else "") else 1)
