"""Envelope encryption of biometric bytes with one data key per object, kept outside PostgreSQL."""
