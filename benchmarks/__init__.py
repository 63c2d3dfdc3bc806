"""Benchmarks of newsdigest's real code paths on generated, seeded data served from 127.0.0.1.

Run with `python -m benchmarks [--quick] [--only NAME]` (or `make bench` / `make bench-quick`).
Not tests: nothing here is collected by pytest and nothing asserts; each figure is printed
beside a baseline measured in the same run.
"""
