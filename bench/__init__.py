"""Benchmarks: our pipeline against a raw-consumer ceiling, a Quix Streams peer and naive faust.

`python -m bench` (the future `make bench`) runs them side by side on one broker and one
data set and writes the figures into BENCHMARKS.md. Modules imported by the peer runner
(`measure`, `reply_rate`, `runners.quix_peer`) use the standard library only, because the
peer runs in its own virtual environment (see `peer_env`).
"""
