"""Exact k-coverage of a district by dock reach regions (reference/planning.md §6).

A dock reaches, within the target T, the wind-shifted disc of :func:`geo.reach.reach_disc`; where
keep-out zones cut that disc the region is the union, over the router's nodes, of the disc left from
each node intersected with what the node sees (:mod:`geo.reach_region`). Discs are inscribed polygons
(``quad_segs`` = 64, ≤ 0.4 m short of the true circle at 5 km) so every "covered" verdict is
conservative.

* k = 1: the uncovered set is ``demand − ∪ regions``.
* k ≥ 2: the arrangement of all region boundaries is polygonised; each face inside the demand region
  counts the regions that contain its representative point; faces with fewer than k are uncovered.
* The worst response time τ* = max over the demand region of the k-th smallest response time (the
  continuous p-center value) is found by bisection on T over this exact test: coverage at T grows
  with T. A coarse grid evaluation brackets it first; the worst point is the point of the last
  uncovered set (its vertices and representative points) with the largest k-th response time.

The demand region is the district minus its keep-out zones (nobody may be served inside them) and,
with a router, minus the clearance flights keep from them (:func:`demand_region`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.coverage_grid import grid_points, kth_response_time_s
from geo.district import District
from geo.model import DockSite, Wind
from geo.reach import overhead_s
from geo.reach_region import ReachRegions, RouterLike, RouterView, is_grounded

#: Uncovered area (m²) below which a region counts as covered (float noise at tangencies; 1e-3 m²
#: at a right-angled corner is a gap of ~3 cm, i.e. ~2 ms of flight).
COVERED_TOL_M2 = 1e-3
#: Precision of τ* (seconds).
WORST_TOL_S = 0.05
#: Cell size of the grid that brackets τ* before the exact bisection.
BRACKET_CELL_M = 250.0


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of the demand region at the target, and the worst response time.

    Geometry is in the local metric frame. ``worst_response_s`` is ``inf`` when some point is never
    reached by k available docks (too few docks, or the wind grounds them); it is an upper bound
    within :data:`WORST_TOL_S` of the exact value for the polygonised discs.
    """

    k: int
    target_s: float
    wind: Wind
    available: tuple[str, ...]
    grounded: tuple[str, ...]
    district_area_km2: float
    keepout_area_km2: float
    demand_area_km2: float
    covered_fraction: float
    uncovered_m: BaseGeometry
    uncovered_area_km2: float
    worst_response_s: float
    worst_point_m: tuple[float, float]
    regions_m: dict[str, BaseGeometry] = field(repr=False)
    demand_m: BaseGeometry = field(default_factory=Polygon, repr=False)
    unavailable: tuple[str, ...] = ()
    g1_breaks_at_wind_mps: float | None = None
    g1_breaks_from_deg: float | None = None

    @property
    def guarantee_holds(self) -> bool:
        """G1 (k = 1) or G2 (k ≥ 2) holds at the target for these docks and this wind."""
        return self.worst_response_s <= self.target_s


def reach_regions(
    docks: Sequence[DockSite],
    wind: Wind,
    target_s: float,
    router: RouterLike | None = None,
    quad_segs: int = 64,
) -> list[BaseGeometry]:
    """Reach region of each dock at ``target_s`` (empty for a grounded dock)."""
    return ReachRegions(docks, wind, router, quad_segs).regions(target_s)


def uncovered_region(demand_m: BaseGeometry, regions: Iterable[BaseGeometry], k: int) -> BaseGeometry:
    """The part of ``demand_m`` lying in fewer than ``k`` of ``regions`` (exact on the polygons)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    useful = [r for r in regions if not r.is_empty and r.intersects(demand_m)]
    if len(useful) < k:
        return demand_m
    if k == 1:
        return demand_m.difference(shapely.union_all(useful))
    faces = _arrangement_faces(demand_m, useful)
    if len(faces) == 0:
        return Polygon()
    points = shapely.point_on_surface(faces)
    shapely.prepare(demand_m)
    inside = shapely.contains(demand_m, points)
    counts = np.zeros(len(faces), dtype=np.int64)
    for region in useful:
        shapely.prepare(region)
        counts += shapely.contains(region, points)
    short = faces[inside & (counts < k)]
    return shapely.union_all(short) if len(short) else Polygon()


def _arrangement_faces(demand_m: BaseGeometry, regions: Sequence[BaseGeometry]) -> np.ndarray:
    """Faces of the arrangement of the demand boundary and the region boundaries."""
    clip = demand_m.envelope.buffer(1.0)
    lines = [demand_m.boundary] + [r.boundary.intersection(clip) for r in regions]
    noded = shapely.union_all(lines)
    polys = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    return np.asarray(polys[shapely.area(polys) > 0], dtype=object)


def _box_around(geom: BaseGeometry, margin_m: float = 10.0) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = geom.bounds
    return (minx - margin_m, miny - margin_m, maxx + margin_m, maxy + margin_m)


def is_covered(uncovered: BaseGeometry) -> bool:
    """True when an uncovered set is empty up to :data:`COVERED_TOL_M2`."""
    return bool(uncovered.is_empty or uncovered.area <= COVERED_TOL_M2)


def coverage_of_region(
    demand_m: BaseGeometry,
    docks: Sequence[DockSite],
    wind: Wind,
    k: int,
    target_s: float,
    router: RouterLike | None = None,
    *,
    district_area_km2: float | None = None,
    keepout_area_km2: float = 0.0,
    view: RouterView | None = None,
) -> CoverageReport:
    """k-coverage of ``demand_m`` (local metres) by ``docks`` (all available) in a steady wind."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if not (math.isfinite(target_s) and target_s > 0):
        raise ValueError(f"target_s must be a positive finite number, got {target_s!r}")
    if view is None and router is not None:
        view = RouterView(router)
    builder = ReachRegions(docks, wind, router, view=view, clip_to=_box_around(demand_m))
    regions = builder.regions(target_s)
    uncovered = uncovered_region(demand_m, regions, k)
    demand_area = demand_m.area
    uncovered_area = 0.0 if is_covered(uncovered) else uncovered.area
    worst_s, worst_xy = worst_response(demand_m, docks, wind, k, router, builder)
    return CoverageReport(
        k=k,
        target_s=target_s,
        wind=wind,
        available=tuple(d.id for d in docks),
        grounded=tuple(d.id for d in docks if is_grounded(d, wind)),
        district_area_km2=(demand_area / 1e6 if district_area_km2 is None else district_area_km2),
        keepout_area_km2=keepout_area_km2,
        demand_area_km2=demand_area / 1e6,
        covered_fraction=(1.0 - uncovered_area / demand_area) if demand_area > 0 else 1.0,
        uncovered_m=uncovered if uncovered_area > 0 else Polygon(),
        uncovered_area_km2=uncovered_area / 1e6,
        worst_response_s=worst_s,
        worst_point_m=worst_xy,
        regions_m={d.id: r for d, r in zip(docks, regions, strict=True)},
        demand_m=demand_m,
    )


def demand_region(district: District, router: RouterLike | None = None) -> BaseGeometry:
    """Where incidents are served: the district minus the keep-out zones and, with a router, minus
    the clearance it keeps around them (flights never go there)."""
    if router is None or not router.obstacles_m:
        return district.flyable_m
    return district.boundary_m.difference(shapely.union_all(list(router.obstacles_m)))


def keepout_area_km2(district: District) -> float:
    """Area of the district covered by keep-out zones (km²)."""
    if not district.keepouts:
        return 0.0
    zones = shapely.union_all([z.polygon_m for z in district.keepouts])
    return float(district.boundary_m.intersection(zones).area) / 1e6


def coverage_report(
    district: District,
    docks: Sequence[DockSite],
    wind: Wind,
    k: int,
    router: RouterLike | None,
    target_s: float,
    unavailable: Iterable[str] = (),
    *,
    with_wind_limit: bool = True,
    view: RouterView | None = None,
) -> CoverageReport:
    """G1/G2/G3 for a district: coverage of its demand region by the docks not in ``unavailable``.

    ``with_wind_limit`` also finds the wind speed at which G1 (k = 1) breaks for those docks.
    ``view`` (of ``router``) lets successive reports share what the router's nodes see.
    Raises ValueError for an unknown dock id, an available dock inside a keep-out zone, or a bad
    k / target.
    """
    from geo.wind_limit import g1_wind_limit  # it builds on this module

    available = available_docks(district, docks, unavailable)
    off = tuple(dict.fromkeys(unavailable))
    demand = demand_region(district, router)
    if view is None and router is not None:
        view = RouterView(router)
    report = coverage_of_region(
        demand,
        available,
        wind,
        k,
        target_s,
        router,
        district_area_km2=district.area_km2,
        keepout_area_km2=keepout_area_km2(district),
        view=view,
    )
    if not with_wind_limit:
        return replace(report, unavailable=off)
    limit = g1_wind_limit(demand, available, target_s, router, view=view)
    return replace(
        report, unavailable=off, g1_breaks_at_wind_mps=limit.speed_mps, g1_breaks_from_deg=limit.from_deg
    )


def available_docks(
    district: District, docks: Sequence[DockSite], unavailable: Iterable[str] = ()
) -> list[DockSite]:
    """``docks`` without ``unavailable``; ValueError for an unknown dock id or an available dock
    inside a keep-out zone."""
    known = {d.id for d in docks}
    off = tuple(dict.fromkeys(unavailable))
    unknown = [i for i in off if i not in known]
    if unknown:
        raise ValueError(f"unknown dock id(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    available = [d for d in docks if d.id not in off]
    for d in available:
        for zone in district.keepouts:
            if zone.polygon_m.contains(Point(d.x_m, d.y_m)):
                raise ValueError(f"dock {d.id} lies inside keep-out zone {zone.id}: it may not launch")
    return available


def uncovered_area_at_target_km2(
    demand_m: BaseGeometry,
    docks: Sequence[DockSite],
    wind: Wind,
    k: int,
    target_s: float,
    router: RouterLike | None = None,
    view: RouterView | None = None,
) -> float:
    """The ``uncovered_area_km2`` :func:`coverage_of_region` reports for these (available) docks,
    without the worst-response search: the same regions at the target, the same test."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    builder = ReachRegions(docks, wind, router, view=view, clip_to=_box_around(demand_m))
    uncovered = uncovered_region(demand_m, builder.regions(target_s), k)
    return 0.0 if is_covered(uncovered) else float(uncovered.area) / 1e6


def worst_response(
    demand_m: BaseGeometry,
    docks: Sequence[DockSite],
    wind: Wind,
    k: int,
    router: RouterLike | None = None,
    builder: ReachRegions | None = None,
) -> tuple[float, tuple[float, float]]:
    """τ* (seconds, an upper bound within :data:`WORST_TOL_S`) and the worst point (local metres).

    Bisection on T of the exact k-coverage test, bracketed by a coarse grid evaluation.
    """
    if demand_m.is_empty:
        return (0.0, (math.nan, math.nan))
    flying = [d for d in docks if not is_grounded(d, wind)]
    regions = builder or ReachRegions(docks, wind, router, clip_to=_box_around(demand_m))
    view = regions.view

    def uncovered_at(t_s: float) -> BaseGeometry:
        return uncovered_region(demand_m, regions.regions(t_s), k)

    fallback = demand_m.representative_point()
    if len(flying) < k:
        return (math.inf, (fallback.x, fallback.y))
    lo, hi = _bracket(demand_m, flying, wind, k, uncovered_at)
    if hi is None:  # never covered: some point is out of reach of k docks at any time
        gap = uncovered_at(lo)
        return (math.inf, _largest_part_point(gap))
    last_gap: BaseGeometry | None = None
    while hi - lo > WORST_TOL_S:
        mid = 0.5 * (lo + hi)
        gap = uncovered_at(mid)
        if is_covered(gap):
            hi = mid
        else:
            lo, last_gap = mid, gap
    if last_gap is None:
        last_gap = uncovered_at(lo)
    return (hi, _worst_point(last_gap, flying, wind, k, router, view, fallback))


def _bracket(
    demand_m: BaseGeometry,
    flying: Sequence[DockSite],
    wind: Wind,
    k: int,
    uncovered_at: Callable[[float], BaseGeometry],
) -> tuple[float, float | None]:
    """A bracket [lo, hi] with demand uncovered at lo and covered at hi (hi None if never)."""
    floor_s = min(overhead_s(d.reach) for d in flying)
    pts = grid_points(demand_m, BRACKET_CELL_M)
    if len(pts) == 0:
        pts = np.array([[demand_m.representative_point().x, demand_m.representative_point().y]])
    # Straight legs only: detours around keep-out zones only lengthen routes, so this stays a lower
    # bound of τ*, and it is cheap.
    times = kth_response_time_s(pts, flying, wind, k)
    grid_worst = float(np.max(times))
    if not math.isfinite(grid_worst):
        return (floor_s, None)
    slowest_mps = max(d.reach.cruise_mps for d in flying) - wind.speed_mps
    margin_s = BRACKET_CELL_M * math.sqrt(2.0) / max(slowest_mps, 1.0) + 1.0
    lo = max(floor_s, grid_worst - WORST_TOL_S)
    if is_covered(uncovered_at(lo)):
        lo = floor_s
    hi = grid_worst + margin_s
    extent_m = math.hypot(*np.ptp(np.asarray(demand_m.envelope.exterior.coords), axis=0))
    cap_s = grid_worst + 4.0 * extent_m / max(slowest_mps, 1.0) + 60.0
    while not is_covered(uncovered_at(hi)):
        lo = hi
        if hi >= cap_s:
            return (lo, None)
        hi = min(cap_s, grid_worst + 2.0 * (hi - grid_worst))
    return (lo, hi)


def _worst_point(
    gap: BaseGeometry,
    flying: Sequence[DockSite],
    wind: Wind,
    k: int,
    router: RouterLike | None,
    view: RouterView | None,
    fallback: Point,
) -> tuple[float, float]:
    """The candidate of the last uncovered set with the largest k-th response time."""
    if gap.is_empty:
        return (fallback.x, fallback.y)
    parts = shapely.get_parts(gap)
    coords = [shapely.get_coordinates(parts), shapely.get_coordinates(shapely.point_on_surface(parts))]
    cand = np.vstack(coords)
    times = kth_response_time_s(cand, flying, wind, k, router, view)
    best = int(np.argmax(np.where(np.isfinite(times), times, np.inf)))
    return (float(cand[best, 0]), float(cand[best, 1]))


def _largest_part_point(gap: BaseGeometry) -> tuple[float, float]:
    parts = list(gap.geoms) if isinstance(gap, MultiPolygon) else [gap]
    biggest = max(parts, key=lambda g: g.area)
    p = biggest.representative_point()
    return (p.x, p.y)
