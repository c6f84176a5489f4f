"""``skyloop payload ...``: run the onboard detectors on files."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Not built yet."""
