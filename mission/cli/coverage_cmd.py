"""``skyloop coverage``: the 5-minute coverage report of a district."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Not built yet."""
