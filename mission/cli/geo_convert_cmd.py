"""``skyloop geo convert``: coordinate conversion (WGS84, GCJ-02, BD-09, CGCS2000, EPSG).

    skyloop geo convert --from gcj02 --to wgs84 113.779157 34.759093
    113.773000... 34.760100...

Geographic systems print ``LON LAT`` with 9 decimals (≈ 0.1 mm), projected ``epsg:N`` systems
``X Y`` (east, north) in metres with 3 decimals.
"""

from __future__ import annotations

import argparse
import math

from geo.crs import CoordinateError, convert, is_projected
from mission.cli.errors import CliError

_SYSTEMS_HELP = "wgs84 | gcj02 | bd09 | cgcs2000 | epsg:N"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``geo`` command group and its ``convert`` sub-command."""
    geo = sub.add_parser("geo", help="coordinate tools", description="Coordinate tools.")
    geo_sub = geo.add_subparsers(dest="geo_command", required=True, metavar="COMMAND")
    p = geo_sub.add_parser(
        "convert",
        help="convert a coordinate between WGS84, GCJ-02, BD-09, CGCS2000 and EPSG systems",
        description="Convert one coordinate. Geographic systems take and print LON LAT (degrees); "
        "projected EPSG systems X Y (east, north metres).",
    )
    p.add_argument("--from", dest="src", required=True, metavar="SYSTEM", help=_SYSTEMS_HELP)
    p.add_argument("--to", dest="dst", required=True, metavar="SYSTEM", help=_SYSTEMS_HELP)
    p.add_argument("a", metavar="LON|X", help="longitude (deg) or easting (m)")
    p.add_argument("b", metavar="LAT|Y", help="latitude (deg) or northing (m)")
    p.set_defaults(handler=run_convert)


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CliError(f"{name} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise CliError(f"{name} must be a finite number, got {text!r}")
    return value


def run_convert(args: argparse.Namespace) -> int:
    a = _number(args.a, "first coordinate")
    b = _number(args.b, "second coordinate")
    try:
        x, y = convert(a, b, args.src, args.dst)
        projected = is_projected(args.dst)
    except CoordinateError as exc:
        raise CliError(str(exc)) from None
    digits = 3 if projected else 9
    print(f"{x:.{digits}f} {y:.{digits}f}")
    return 0
