"""One JSON object per log line, with the request id, agency and user of the unit of work.

Values that could be biometric (bytes, arrays) are never written, whoever passes them.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from tenants.request_context import request_context

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
OMITTED = "[omitted]"


def _safe(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview) or hasattr(value, "__array__"):
        return OMITTED
    if isinstance(value, dict):
        return {str(k): _safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """Format a record as JSON: time, level, logger, message, context, then its extras."""

    def format(self, record: logging.LogRecord) -> str:
        context = request_context()
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": context.request_id or None,
            "agency": context.agency_id or None,
            "user": context.username or None,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = _safe(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
