"""One module per contender; each runs in its own process and prints one RunnerResult line.

Standard library only here: the peer runner imports this package from its own venv.
"""

from __future__ import annotations

import argparse


def common_args(description: str) -> argparse.ArgumentParser:
    """The arguments every runner takes: where to read, as whom, and how much."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True, help="the raw chat topic, read from the start")
    parser.add_argument("--group", required=True, help="a consumer group of its own")
    parser.add_argument("--events", type=int, required=True, help="stop after this many")
    return parser
