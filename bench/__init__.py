"""Benchmarks of the policy gate, the gated search and enrollment, each against a baseline."""
