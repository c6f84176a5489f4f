"""A coverage report as a GeoJSON FeatureCollection in WGS84 (RFC 7946: [lon, lat]).

Features carry ``properties.kind``: ``district``, ``keepout``, ``dock`` (with ``available`` and
``grounded``), ``reach`` (one region per available dock, at the target time), ``uncovered`` (the
demand left with fewer than k docks in reach) and ``worst_point`` (with ``response_s``; ``null`` when
no k docks ever reach it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, mapping
from shapely.geometry.base import BaseGeometry

from geo.coverage import CoverageReport
from geo.district import District
from geo.model import DockSite

#: Decimal places of the output coordinates (1e-7° ≈ 1 cm).
COORD_DECIMALS = 7


def _feature(geom: BaseGeometry, district: District, **props: Any) -> dict[str, Any]:
    wgs = district.frame.geom_to_wgs84(geom)
    rounded = shapely.transform(wgs, lambda c: np.round(c, COORD_DECIMALS))
    return {"type": "Feature", "properties": props, "geometry": mapping(rounded)}


def _finite(value: float) -> float | None:
    return round(value, 2) if math.isfinite(value) else None


def coverage_feature_collection(
    report: CoverageReport, district: District, docks: Sequence[DockSite]
) -> dict[str, Any]:
    """Docks, reach regions, uncovered areas and the worst point of ``report`` as GeoJSON."""
    features = [_feature(district.boundary_m, district, kind="district", name=district.name)]
    features += [
        _feature(z.polygon_m, district, kind="keepout", id=z.id, name=z.name, zone_kind=z.kind)
        for z in district.keepouts
    ]
    grounded = set(report.grounded)
    for d in docks:
        features.append(
            _feature(
                Point(d.x_m, d.y_m),
                district,
                kind="dock",
                id=d.id,
                available=d.id in report.available,
                grounded=d.id in grounded,
            )
        )
    for dock_id, region in report.regions_m.items():
        if not region.is_empty:
            area = round(region.area / 1e6, 4)
            features.append(
                _feature(
                    region, district, kind="reach", dock_id=dock_id, target_s=report.target_s, area_km2=area
                )
            )
    if not report.uncovered_m.is_empty:
        features.append(
            _feature(
                report.uncovered_m,
                district,
                kind="uncovered",
                k=report.k,
                area_km2=round(report.uncovered_area_km2, 4),
            )
        )
    x, y = report.worst_point_m
    if math.isfinite(x) and math.isfinite(y):
        features.append(
            _feature(
                Point(x, y),
                district,
                kind="worst_point",
                k=report.k,
                response_s=_finite(report.worst_response_s),
            )
        )
    return {
        "type": "FeatureCollection",
        "name": f"coverage k={report.k}",
        "properties": {
            "k": report.k,
            "target_s": report.target_s,
            "wind_mps": report.wind.speed_mps,
            "wind_from_deg": report.wind.from_deg,
            "covered_fraction": round(report.covered_fraction, 6),
            "worst_response_s": _finite(report.worst_response_s),
        },
        "features": features,
    }
