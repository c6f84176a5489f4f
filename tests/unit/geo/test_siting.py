"""Dock siting: exact answers against brute force over all subsets, fixed docks, k-fold cover, row
reduction, greedy never better than exact, and the geometry that builds a problem."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
import scipy.sparse as sp
from shapely.geometry import Polygon, box

from geo.model import DockSite, ReachParams, Wind
from geo.siting import solve_max_cover, solve_p_center, solve_set_cover
from geo.siting_models import Objective, SitingError, SitingProblem
from geo.siting_plan import candidate_grid, demand_cells, plan_sites
from geo.siting_rows import (
    coverage_matrix,
    covered_value,
    fill_min_max,
    greedy_cover,
    greedy_max_cover,
    kth_response_s,
    level_weights,
    reduce_rows,
    swap_improve,
    swap_max_cover,
)

TARGET_S = 250.0


def instance(seed: int, m: int = 7, n: int = 24, fixed: tuple[int, ...] = ()) -> SitingProblem:
    """Random candidates and cells in a 3 km square; cost = 100 s + distance at 10 m/s."""
    rng = np.random.default_rng(seed)
    cand = rng.uniform(0, 3000, (m, 2))
    cells = rng.uniform(0, 3000, (n, 2))
    cost = 100.0 + np.hypot(cand[:, None, 0] - cells[None, :, 0], cand[:, None, 1] - cells[None, :, 1]) / 10.0
    return SitingProblem(cost, rng.uniform(0.5, 2.0, n), fixed)


def subsets(p: SitingProblem, size: int | None = None) -> list[list[int]]:
    out = []
    for r in range(1, p.n_candidates + 1) if size is None else [size]:
        for s in itertools.combinations(range(p.n_candidates), r):
            if set(p.fixed) <= set(s):
                out.append(list(s))
    return out


def kth_worst(p: SitingProblem, chosen: list[int], k: int) -> float:
    return float(np.partition(p.cost_s[chosen], k - 1, axis=0)[k - 1].max())


CASES = [(seed, k, fixed) for seed in range(6) for k in (1, 2) for fixed in ((), (3,))]


@pytest.mark.parametrize(("seed", "k", "fixed"), CASES)
def test_p_center_equals_brute_force(seed: int, k: int, fixed: tuple[int, ...]) -> None:
    p = instance(seed, fixed=fixed)
    for n in (k, 3):
        if n < len(fixed):
            continue
        best = min(kth_worst(p, s, k) for s in subsets(p, n))
        sol = solve_p_center(p, n, k)
        assert sol.value == pytest.approx(best)
        assert kth_worst(p, list(sol.chosen), k) == pytest.approx(sol.value)
        assert len(sol.chosen) == n
        assert set(fixed) <= set(sol.chosen)
        assert sol.greedy_value >= sol.value - 1e-9
        assert sol.proven_optimal


@pytest.mark.parametrize(("seed", "k", "fixed"), CASES)
def test_set_cover_equals_brute_force(seed: int, k: int, fixed: tuple[int, ...]) -> None:
    p = instance(seed, fixed=fixed)
    a = p.cost_s <= TARGET_S
    need = np.minimum(a.sum(axis=0), k)
    best = min(len(s) for s in subsets(p) if np.all(a[s].sum(axis=0) >= need))
    sol = solve_set_cover(p, k, TARGET_S)
    assert sol.value == best == len(sol.chosen)
    assert np.all(a[list(sol.chosen)].sum(axis=0) >= need)
    assert set(fixed) <= set(sol.chosen)
    assert sol.greedy_value >= sol.value
    assert sol.proven_optimal


@pytest.mark.parametrize(("seed", "k", "fixed"), CASES)
def test_max_cover_equals_brute_force(seed: int, k: int, fixed: tuple[int, ...]) -> None:
    p = instance(seed, fixed=fixed)
    a = p.cost_s <= TARGET_S
    cum = np.concatenate([[0.0], np.cumsum(level_weights(k, 0.5))])

    def value(s: list[int]) -> float:
        return float(np.sum(p.weight * cum[np.minimum(a[s].sum(axis=0), k)]))

    for n in (2, 3):
        best = max(value(s) for s in subsets(p, n))
        sol = solve_max_cover(p, n, k, TARGET_S)
        assert sol.value == pytest.approx(best)
        assert value(list(sol.chosen)) == pytest.approx(sol.value)
        assert len(sol.chosen) == n and set(fixed) <= set(sol.chosen)
        assert sol.greedy_value <= sol.value + 1e-9


def test_set_cover_k2_gives_every_cell_two_docks() -> None:
    p = instance(11, m=9, n=40)
    reach = (p.cost_s <= TARGET_S).sum(axis=0)
    assert np.all(reach >= 2), "the instance must allow double cover everywhere"
    sol = solve_set_cover(p, 2, TARGET_S)
    assert np.all((p.cost_s[list(sol.chosen)] <= TARGET_S).sum(axis=0) >= 2)
    assert sol.uncoverable_cells == 0


def test_set_cover_caps_the_need_of_cells_with_few_candidates() -> None:
    cost = np.array([[100.0, 100.0], [100.0, 900.0], [900.0, 100.0]])
    sol = solve_set_cover(SitingProblem(cost, np.ones(2)), 3, TARGET_S)
    assert sol.chosen == (0, 1, 2)  # cell 0 gets its 3 candidates, cell 1 its only two
    assert sol.uncoverable_cells == 2
    assert sol.notes


def test_row_merging_and_dominance_keep_the_optimum() -> None:
    p = instance(5, m=8, n=60)
    cover = coverage_matrix(p.cost_s, TARGET_S)
    reach = np.asarray(cover.sum(axis=1)).ravel()
    need = np.minimum(reach, 1)
    keep = reach > 0
    full = sp.csr_array(cover[keep])
    reduced = reduce_rows(full, need[keep], p.weight[keep], drop_dominated=True)
    assert reduced.reduction.after_dominance < reduced.reduction.cells  # the test means something
    fixed = np.zeros(p.n_candidates, dtype=bool)

    def optimum(rows: sp.csr_array, nd: np.ndarray) -> int:
        return min(
            len(s) for s in subsets(p) if np.all(rows[:, s].sum(axis=1) >= nd)
        )  # brute force on the given rows

    assert optimum(reduced.rows, reduced.need) == optimum(full, need[keep])
    # every full-model solution of the reduced rows is a solution of all rows
    pick = greedy_cover(reduced.rows, reduced.need, fixed)
    assert pick is not None
    assert np.all(full @ pick.astype(int) >= need[keep])
    merged_only = reduce_rows(full, need[keep], p.weight[keep], drop_dominated=False)
    assert merged_only.weight.sum() == pytest.approx(p.weight[keep].sum())


def test_greedy_is_never_better_than_exact_on_larger_instances() -> None:
    for seed in range(3):
        p = instance(100 + seed, m=30, n=150)
        pc = solve_p_center(p, 4, 1)
        sc = solve_set_cover(p, 1, TARGET_S)
        mc = solve_max_cover(p, 3, 2, TARGET_S)
        assert pc.greedy_value >= pc.value and pc.optimality_gap == 0.0
        assert sc.greedy_value >= sc.value and sc.optimality_gap == 0.0
        assert mc.greedy_value <= mc.value + 1e-9


def test_bad_problems_are_refused() -> None:
    p = instance(0)
    with pytest.raises(SitingError):
        solve_p_center(p, 1, 2)  # fewer docks than k
    with pytest.raises(SitingError):
        solve_p_center(p, 50, 1)  # more docks than candidates
    with pytest.raises(SitingError):
        solve_max_cover(instance(0, fixed=(1, 2)), 1, 1, TARGET_S)  # fixed exceed n
    with pytest.raises(SitingError):
        SitingProblem(np.zeros((2, 3)), np.ones(2))
    with pytest.raises(SitingError):
        SitingProblem(np.full((2, 2), np.nan), np.ones(2))


def test_demand_cells_keep_the_whole_area_and_boundary_slivers() -> None:
    region = Polygon([(0, 0), (1000, 0), (1000, 1000), (0, 1000)]).difference(box(400, 400, 600, 600))
    cells = demand_cells(region, 300.0)
    assert cells.area_m2.sum() == pytest.approx(region.area)
    assert all(region.covers(Polygon(box(x - 1e-6, y - 1e-6, x + 1e-6, y + 1e-6))) for x, y in cells.points_m)
    with pytest.raises(SitingError):
        demand_cells(region, 0.0)


def test_candidate_grid_stays_outside_keep_outs() -> None:
    region = box(0, 0, 2000, 2000).difference(box(500, 500, 1500, 1500))
    pts = candidate_grid(region, 100.0)
    assert len(pts) > 0
    inside = (pts[:, 0] > 500) & (pts[:, 0] < 1500) & (pts[:, 1] > 500) & (pts[:, 1] < 1500)
    assert not inside.any()


def test_plan_sites_keeps_fixed_docks_and_names_new_ones() -> None:
    region = box(0, 0, 6000, 3000)
    reach = ReachParams(prep_s=45.0)
    template = DockSite("new", 0.0, 0.0, reach, 12.0)
    fixed = [DockSite("D01", 1500.0, 1500.0, reach, 12.0)]
    plan = plan_sites(
        region, candidate_grid(region, 1000.0), template, Objective.P_CENTER, 2, 1, 300.0,
        fixed=fixed, cell_m=250.0, wind=Wind.calm(),
    )  # fmt: skip
    ids = [d.id for d in plan.docks]
    assert ids[0] == "D01" and (plan.docks[0].x_m, plan.docks[0].y_m) == (1500.0, 1500.0)
    assert len(ids) == 2 and ids[1] == "D02"
    assert plan.docks[1].x_m > 3000.0  # the second dock serves the east half
    assert plan.solution.value <= plan.solution.greedy_value


def test_local_search_never_worsens_and_keeps_fixed_docks() -> None:
    p = instance(21, m=40, n=200, fixed=(0,))
    fixed = np.zeros(p.n_candidates, dtype=bool)
    fixed[0] = True
    for k in (1, 2):
        start = fill_min_max(p.cost_s, fixed, 5, k)
        improved = swap_improve(p.cost_s, start, fixed, k, time.perf_counter() + 30.0)
        assert improved.sum() == start.sum() == 5 and improved[0]
        assert kth_response_s(p.cost_s, improved, k).max() <= kth_response_s(p.cost_s, start, k).max()


def test_max_cover_local_search_never_worsens_and_keeps_fixed_docks() -> None:
    p = instance(22, m=40, n=200)
    cover = coverage_matrix(p.cost_s, TARGET_S)
    fixed = np.zeros(p.n_candidates, dtype=bool)
    fixed[5] = True
    for k in (1, 2):
        levels = level_weights(k, 0.5)
        start = greedy_max_cover(cover, p.weight, fixed, 4, levels)
        improved = swap_max_cover(cover, p.weight, start, fixed, levels, time.perf_counter() + 30.0)
        assert improved.sum() == 4 and improved[5]
        assert covered_value(cover, p.weight, improved, levels) >= covered_value(
            cover, p.weight, start, levels
        )
