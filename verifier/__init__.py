"""Standalone verification of signed audit exports (needs only the export and a public key)."""
