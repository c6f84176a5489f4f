"""``skyloop geo convert``: coordinate conversion (WGS84, GCJ-02, BD-09, CGCS2000, EPSG)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Not built yet."""
