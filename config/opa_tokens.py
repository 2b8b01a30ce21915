"""The ``OPA_DECISION_LOG_TOKENS`` setting: which OPA fleet's token logs which agencies."""

from __future__ import annotations


def decision_log_tokens_parse(value: str) -> dict[str, frozenset[str]]:
    """Parse ``token=agency,agency;token=agency`` (the ``OPA_DECISION_LOG_TOKENS`` format)."""
    tokens: dict[str, frozenset[str]] = {}
    for entry in filter(None, (part.strip() for part in value.split(";"))):
        token, _, agencies = entry.partition("=")
        if not token or not agencies:
            raise ValueError("OPA_DECISION_LOG_TOKENS entries are token=agency[,agency…]")
        tokens[token.strip()] = frozenset(a.strip() for a in agencies.split(",") if a.strip())
    return tokens
