"""The planner: which dock (or airborne drone) answers an incident, and why every other one does not.

Pure. Inputs: the fleet manager's candidates for the sortie (:meth:`fleet.manager.FleetManager.candidates`,
each with its availability and reasons), each dock's :class:`geo.model.DockSite` (reach parameters),
the live wind, and optionally the keep-out router and an :class:`~mission.planner_coverage.UncoveredArea`.

- Response time (geo's model, ARCHITECTURE.md §5): a dock pays dispatch + preparation + climb +
  cruise (in the wind, around keep-out zones) + descent + settle; an airborne drone pays no
  preparation, climbs only what it lacks, and flies from where it is.
- A target inside a keep-out zone is refused outright; a dock with no route around the zones, or
  that the wind makes unable to get there, is ``out_of_range``/``keep_out``.
- The wind's direction may be unknown (the docks' stations report only its speed): then every
  option is timed in its own worst case, the wind blowing against each leg (geo/reach.py), so no
  arbitrary direction flatters one dock over another.
- The fastest able option wins. Options within ``tie_s`` of it are tied; with a coverage oracle the
  one whose departure leaves the least of the district uncovered wins (an airborne drone's dock is
  already empty, so re-tasking it costs no coverage).
- Every other option gets a :class:`~mission.model.RejectedOption`: the fleet's reason code
  (``busy``, ``wind``, ``battery``, ...), ``busy`` for a drone on a mission that may not be
  re-tasked, ``wind`` when the live wind is above a dock's launch limit, ``coverage`` for a tied
  option that would leave more uncovered, ``slower`` with its ETA.
- Nothing within ``target_s``: the best still goes and ``promise_breached`` is set. Nothing at all:
  ``dock_id`` is None and the reasons say why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fleet.model import Candidate, CandidateKind
from fleet.registry import FleetRegistry
from geo.model import DockSite, Wind
from geo.reach import constant_speed_leg_time_s, overhead_s, wind_cruise_time_s
from geo.reach_region import is_grounded
from geo.routing import KeepOutRouter
from mission.model import DispatchDecision, RejectedOption
from mission.planner_coverage import UncoveredArea

ToLocal = Callable[[float, float], tuple[float, float]]

#: Reason codes the planner adds to the fleet's.
SLOWER, KEEP_OUT, OUT_OF_RANGE, COVERAGE, BUSY, WIND, UNKNOWN_DOCK = (
    "slower",
    "keep_out",
    "out_of_range",
    "coverage",
    "busy",
    "wind",
    "unknown_dock",
)


#: Directions (from, degrees) the coverage tie-break averages when the wind's direction is unknown.
TIE_DIRECTIONS_DEG = (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0)


@dataclass(frozen=True)
class Option:
    """A candidate the planner could send, with its response time (``inf``: cannot get there)."""

    candidate: Candidate
    eta_s: float
    routed: bool = False  # the route bends around keep-out zones


def dock_sites(registry: FleetRegistry) -> list[DockSite]:
    """The planner's view of the fleet's docks: position and reach parameters of each."""
    return [DockSite(e.dock_id, e.x_m, e.y_m, e.reach, e.spec.launch_wind_limit_mps) for e in registry]


def _key(c: Candidate) -> tuple[str, str, str]:
    return (c.kind.value, c.dock_id, c.drone_id)


class Planner:
    """Chooses the best option for a point. See the module docstring."""

    def __init__(
        self,
        docks: Sequence[DockSite],
        to_local: ToLocal,
        *,
        target_s: float = 300.0,
        router: KeepOutRouter | None = None,
        coverage: UncoveredArea | None = None,
        tie_s: float = 5.0,
    ) -> None:
        if not (math.isfinite(target_s) and target_s > 0):
            raise ValueError(f"target_s must be a positive number, got {target_s!r}")
        if not (math.isfinite(tie_s) and tie_s >= 0):
            raise ValueError(f"tie_s must be >= 0, got {tie_s!r}")
        self.docks: Mapping[str, DockSite] = {d.id: d for d in docks}
        self.to_local = to_local
        self.target_s = target_s
        self.router = router if router is not None and router.zones_m else None
        self.coverage = coverage
        self.tie_s = tie_s

    # --- response times ------------------------------------------------------------------------

    def response_times(
        self, target_xy: tuple[float, float], options: Sequence[Candidate], wind: Wind
    ) -> list[Option]:
        """Response time of each candidate (whose dock is known) to ``target_xy``."""
        out: list[Option] = []
        by_speed: dict[tuple[float, float], list[int]] = {}
        starts: list[tuple[float, float]] = []
        for i, c in enumerate(options):
            site = self.docks[c.dock_id]
            starts.append(
                (site.x_m, site.y_m) if c.kind is CandidateKind.DOCK else self.to_local(c.lon_deg, c.lat_deg)
            )
            by_speed.setdefault((site.reach.cruise_mps, site.reach.accel_mps2), []).append(i)
        cruise = np.full(len(options), np.inf)
        routed = np.zeros(len(options), dtype=bool)
        tx, ty = target_xy
        for (v, a), idx in by_speed.items():
            pts = np.array([starts[i] for i in idx], dtype=np.float64)
            dx, dy = tx - pts[:, 0], ty - pts[:, 1]
            straight = wind_cruise_time_s(dx, dy, wind, v, a)
            if self.router is None:
                cruise[idx] = straight
                continue

            def leg(ldx: np.ndarray, ldy: np.ndarray, _v: float = v) -> np.ndarray:
                # routes are searched from the target, so each leg is flown the other way
                return constant_speed_leg_time_s(-ldx, -ldy, wind, _v)

            via = self.router.costs_from(target_xy, pts, leg)
            direct = constant_speed_leg_time_s(dx, dy, wind, v)
            bent = ~np.isfinite(via) | (via > direct * (1 + 1e-9) + 1e-6)
            cruise[idx] = np.where(bent, via + v / a, straight)
            routed[idx] = bent
        for i, c in enumerate(options):
            site = self.docks[c.dock_id]
            out.append(Option(c, float(self._overhead_s(site, c) + cruise[i]), bool(routed[i])))
        return out

    @staticmethod
    def _overhead_s(site: DockSite, c: Candidate) -> float:
        p = site.reach
        if c.kind is CandidateKind.DOCK:
            return overhead_s(p)
        alt_m = c.rel_alt_m if c.rel_alt_m is not None else 0.0
        climb_s = max(0.0, p.cruise_height_m - alt_m) / p.climb_mps
        descent_s = (p.cruise_height_m - p.on_scene_height_m) / p.descent_mps
        return p.dispatch_s + climb_s + descent_s + p.settle_s

    # --- the decision --------------------------------------------------------------------------

    def plan(
        self,
        mission_id: str,
        lon_deg: float,
        lat_deg: float,
        candidates: Sequence[Candidate],
        wind: Wind,
        *,
        retaskable: Collection[str] = (),
    ) -> DispatchDecision:
        """The decision for a mission to (lon, lat). Airborne drones on a mission may be re-tasked
        only when that mission's id is in ``retaskable`` (e.g. it is returning)."""
        target = self.to_local(lon_deg, lat_deg)
        rejected: list[RejectedOption] = []

        def reject(c: Candidate, code: str, text: str, eta_s: float | None = None) -> None:
            rejected.append(RejectedOption(c.dock_id, c.drone_id, code, text, eta_s))

        def decision(chosen: Option | None) -> DispatchDecision:
            eta = None if chosen is None else chosen.eta_s
            if chosen is not None:  # a re-tasked drone's own dock is not "another option"
                same = (chosen.candidate.dock_id, chosen.candidate.drone_id)
                rejected[:] = [r for r in rejected if (r.dock_id, r.drone_id) != same]
            return DispatchDecision(
                mission_id=mission_id,
                dock_id=None if chosen is None else chosen.candidate.dock_id,
                drone_id=None if chosen is None else chosen.candidate.drone_id,
                eta_s=eta,
                target_s=self.target_s,
                promise_breached=eta is None or eta > self.target_s,
                airborne=chosen is not None and chosen.candidate.kind is CandidateKind.AIRBORNE,
                rejected=tuple(rejected),
                wind_speed_mps=wind.speed_mps,
                wind_from_deg=wind.from_deg,
                wind_direction_known=not wind.unknown,
            )

        if self.router is not None and bool(self.router.inside([target])[0]):
            for c in candidates:
                reject(c, KEEP_OUT, "the point lies inside a keep-out zone: no flight may go there")
            return decision(None)

        able: list[Candidate] = []
        for c in candidates:
            site = self.docks.get(c.dock_id)
            if site is None:
                reject(c, UNKNOWN_DOCK, f"dock {c.dock_id} is not in the planner's configuration")
            elif not c.available:
                code = c.availability.reasons[0].code.value if c.availability.reasons else "unavailable"
                reject(c, code, c.availability.summary)
            elif (
                c.kind is CandidateKind.AIRBORNE
                and c.current_mission_id
                and c.current_mission_id not in retaskable
            ):
                reject(c, BUSY, f"busy: on mission {c.current_mission_id}, which may not be re-tasked")
            elif c.kind is CandidateKind.DOCK and is_grounded(site, wind):
                reject(
                    c, WIND, f"wind {wind.speed_mps:.0f} m/s > launch limit {site.launch_wind_limit_mps:.0f}"
                )
            else:
                able.append(c)

        options = self.response_times(target, able, wind)
        reachable: list[Option] = []
        for o in options:
            if math.isfinite(o.eta_s):
                reachable.append(o)
            elif self.router is not None and not self._straight_unreachable(o.candidate, target, wind):
                reject(o.candidate, KEEP_OUT, "no route around the keep-out zones")
            else:
                reject(o.candidate, OUT_OF_RANGE, "cannot get there against the wind")
        if not reachable:
            return decision(None)
        reachable.sort(key=lambda o: (o.eta_s, o.candidate.kind is CandidateKind.DOCK, o.candidate.dock_id))
        best = reachable[0]
        tied = [o for o in reachable if o.eta_s <= best.eta_s + self.tie_s]
        chosen = best
        lost_on_coverage: dict[tuple[str, str, str], str] = {}
        if len(tied) > 1 and self.coverage is not None:
            chosen, lost_on_coverage = self._tie_break(tied, able, wind)
        for o in reachable:
            if o is chosen:
                continue
            if _key(o.candidate) in lost_on_coverage:
                reject(o.candidate, COVERAGE, lost_on_coverage[_key(o.candidate)], o.eta_s)
            else:
                gap = o.eta_s - chosen.eta_s
                reject(o.candidate, SLOWER, f"slower: ETA {o.eta_s:.0f} s ({gap:+.0f} s)", o.eta_s)
        return decision(chosen)

    def _tie_break(
        self, tied: Sequence[Option], able: Sequence[Candidate], wind: Wind
    ) -> tuple[Option, dict[tuple[str, str, str], str]]:
        """Among options within ``tie_s``, the one leaving the least uncovered when it leaves."""
        assert self.coverage is not None
        ready = frozenset(c.dock_id for c in able if c.kind is CandidateKind.DOCK)
        scored: list[tuple[float, float, str, Option]] = []
        for o in tied:
            c = o.candidate
            remaining = ready - {c.dock_id} if c.kind is CandidateKind.DOCK else ready
            scored.append((self._uncovered_km2(remaining, wind), o.eta_s, c.dock_id, o))
        scored.sort(key=lambda s: s[:3])
        best_gap, _, _, chosen = scored[0]
        texts = {
            _key(o.candidate): (
                f"as fast (ETA {eta:.0f} s) but sending it leaves {gap:.2f} km² uncovered "
                f"against {best_gap:.2f} km²"
            )
            for gap, eta, _, o in scored[1:]
            if gap > best_gap
        }
        return chosen, texts

    def _uncovered_km2(self, remaining: frozenset[str], wind: Wind) -> float:
        """Uncovered area in this wind; with an unknown direction, the mean over
        :data:`TIE_DIRECTIONS_DEG` (no arbitrary direction decides the tie)."""
        assert self.coverage is not None
        if not wind.unknown:
            return self.coverage.uncovered_km2(remaining, wind)
        areas = [self.coverage.uncovered_km2(remaining, Wind(wind.speed_mps, d)) for d in TIE_DIRECTIONS_DEG]
        return sum(areas) / len(areas)

    def _straight_unreachable(self, c: Candidate, target: tuple[float, float], wind: Wind) -> bool:
        site = self.docks[c.dock_id]
        start = (site.x_m, site.y_m) if c.kind is CandidateKind.DOCK else self.to_local(c.lon_deg, c.lat_deg)
        p = site.reach
        t = wind_cruise_time_s(target[0] - start[0], target[1] - start[1], wind, p.cruise_mps, p.accel_mps2)
        return not bool(np.isfinite(t))
