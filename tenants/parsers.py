"""Strict JSON for every request body: only what PostgreSQL and the policy engine both hold.

``json_parse`` accepts I-JSON (RFC 7493: UTF-8, no lone surrogates, no repeated names, numbers
an IEEE double represents exactly as integers or finitely as floats) without NUL characters,
which PostgreSQL cannot store in ``jsonb`` or ``text``, and nested at most ``JSON_MAX_DEPTH``
levels. Anything else is refused with a reason before it reaches the engine or the database.
The DRF parsers here also hold every body to ``DATA_UPLOAD_MAX_MEMORY_SIZE`` while reading it:
DRF's own JSON and form parsers read the request stream to its end.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict

JSON_MAX_DEPTH = 64
SAFE_INTEGER = 2**53 - 1
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class JsonRejectedError(ValueError):
    """JSON that is malformed or holds something no store here can keep; says why."""


def _refuse_constant(name: str) -> Any:
    raise JsonRejectedError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRejectedError(f"the number {text[:40]} is not finite")
    return value


def _safe_integer(text: str) -> int:
    if len(text.lstrip("-")) > 16 or abs(int(text)) > SAFE_INTEGER:
        raise JsonRejectedError(f"the integer {text[:40]} is beyond ±(2^53 - 1)")
    return int(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise JsonRejectedError(f"the name {key[:40]!r} appears twice in one object")
        seen.add(key)
    return dict(pairs)


def _check_text(text: str) -> None:
    found = _UNSTORABLE.search(text)
    if found is None:
        return
    if found.group() == "\x00":
        raise JsonRejectedError("a string holds a NUL character (\\u0000)")
    raise JsonRejectedError("a string holds a lone surrogate (\\ud800-\\udfff)")


def _check(document: Any, max_depth: int) -> None:
    """Walk the parsed document without recursion: depth, strings and keys."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > max_depth:
                raise JsonRejectedError(f"nested deeper than {max_depth} levels")
            if isinstance(value, dict):
                for key in value:
                    _check_text(key)
                stack.extend((item, depth + 1) for item in value.values())
            else:
                stack.extend((item, depth + 1) for item in value)


def json_parse(text: str | bytes, *, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """Parse a JSON document the stores can hold, or raise ``JsonRejectedError`` saying why."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRejectedError("the body is not UTF-8") from exc
    try:
        document = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_safe_integer,
            object_pairs_hook=_object,
        )
    except RecursionError as exc:
        raise JsonRejectedError(f"nested deeper than {max_depth} levels") from exc
    except json.JSONDecodeError as exc:
        raise JsonRejectedError(
            f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    except JsonRejectedError:
        raise
    except ValueError as exc:
        raise JsonRejectedError("a number is not representable") from exc
    _check(document, max_depth)
    return document


def body_read_bounded(stream: IO[bytes]) -> bytes:
    """Read a request body, refusing it (413) once it passes the body limit.

    Nothing past the limit is read. ``RequestDataTooBig`` is what Django raises for ``.body``;
    the API's exception handler answers it with ``payload_too_large``.
    """
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = stream.read(limit + 1) if limit is not None else stream.read()
    if limit is not None and len(body) > limit:
        raise RequestDataTooBig(f"The request body is larger than {limit} bytes.")
    return body


class JsonParser(parsers.JSONParser):
    """DRF's JSON parser with a bounded read and ``json_parse``'s rules."""

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        if stream is None:
            raise ParseError("Send a JSON body.")
        try:
            return json_parse(body_read_bounded(stream))
        except JsonRejectedError as exc:
            raise ParseError(f"The body was refused: {exc}.") from exc


class FormParser(parsers.FormParser):
    """DRF's form parser with a bounded read (Django's own limit applies only to ``.body``)."""

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> _ImmutableQueryDict:
        context = parser_context or {}
        encoding = context.get("encoding", settings.DEFAULT_CHARSET)
        body = body_read_bounded(stream) if stream is not None else b""
        return QueryDict(body, encoding=encoding)
