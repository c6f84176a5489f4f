"""Discrete dock siting: set covering, p-center and maximal (backup) covering with HiGHS.

reference/planning.md §1 and §6. Each objective starts from a greedy answer (whose value is
reported), then solves the exact model with :func:`scipy.optimize.milp` under a time limit and
reports the optimality gap against the proven bound (0 when HiGHS proves optimality):

- **set-cover** (LSCP, k-fold): min Σ y_i s.t. Σ_i a_ij y_i ≥ min(k, |N_j|) for every cell j;
- **p-center**: min over n docks of the worst k-th-nearest response time, by bisection on the
  threshold T over k-fold set-cover feasibility with Σ y_i ≤ n (each answer's real worst value
  moves the upper end, each proven infeasibility the lower bound);
- **max-cover** (MCLP; BACOP-style backup cover for k ≥ 2): Σ y_i = n, maximise
  Σ_j h_j Σ_l w_l z_jl with Σ_l z_jl ≤ Σ_i a_ij y_i, w_1 = 1 and w_l = backup_weight^(l−1).

Rows are reduced first (:mod:`geo.siting_rows`). Fixed candidates (existing docks) have y_i = 1.

>>> import numpy as np
>>> cost = np.array([[100.0, 400.0, 400.0], [400.0, 100.0, 100.0], [250.0, 250.0, 250.0]])
>>> p = SitingProblem(cost, np.ones(3))
>>> solve_set_cover(p, k=1, target_s=300.0).chosen
(2,)
>>> solve_p_center(p, n=2, k=1).value
100.0
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import LinearConstraint

from geo.siting_milp import generate_rows, lp_exceeds, run_milp
from geo.siting_models import (
    Objective,
    Progress,
    RowReduction,
    SitingError,
    SitingProblem,
    SitingSolution,
)
from geo.siting_rows import (
    BoolArray,
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

DEFAULT_TIME_LIMIT_S = 60.0
#: p-center: shares of the time limit after which the local search, then the LP bounding, stop.
LOCAL_SEARCH_SHARE = 0.2
LP_SHARE = 0.4


def _quiet(_: str) -> None:
    return None


def _fixed_mask(problem: SitingProblem) -> BoolArray:
    mask = np.zeros(problem.n_candidates, dtype=bool)
    mask[list(problem.fixed)] = True
    return mask


def _chosen(mask: BoolArray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.flatnonzero(mask))


def _gap(value: float, bound: float) -> float:
    if value == bound or not math.isfinite(bound):
        return 0.0 if value == bound else math.inf
    return abs(value - bound) / max(abs(value), 1e-12)


def _fewest_by_local_search(
    cost_s: NDArray[np.floating], fixed: BoolArray, k: int, target_s: float, lo: int, hi: int, deadline: float
) -> BoolArray | None:
    """Bisection on the dock count with the p-center local search: the fewest docks (in [lo, hi))
    whose worst k-th response it brings within the target, or None."""
    best = None
    while lo < hi and time.perf_counter() < deadline:
        n = (lo + hi) // 2
        pick = swap_improve(cost_s, fill_min_max(cost_s, fixed, n, k), fixed, k, deadline)
        if float(kth_response_s(cost_s, pick, k).max()) <= target_s:
            best, hi = pick, n
        else:
            lo = n + 1
    return best


def solve_set_cover(
    problem: SitingProblem,
    k: int,
    target_s: float,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: Progress = _quiet,
) -> SitingSolution:
    """Fewest docks so that every cell has ``k`` docks (or all its candidates, if fewer) in time."""
    if k < 1:
        raise SitingError("k must be at least 1")
    start = time.perf_counter()
    fixed = _fixed_mask(problem)
    cover = coverage_matrix(problem.cost_s, target_s)
    reach = np.asarray(cover.sum(axis=1)).ravel()
    short = int(np.count_nonzero(reach < k))
    keep = reach > 0
    need = np.minimum(reach, k).astype(np.int64)
    rows = reduce_rows(sp.csr_array(cover[keep]), need[keep], problem.weight[keep], drop_dominated=True)
    progress(f"set-cover: {rows.reduction.cells} cells -> {rows.reduction.after_dominance} rows")
    greedy = greedy_cover(rows.rows, rows.need, fixed)
    if greedy is None:  # cannot happen: needs are capped at what the candidates give
        raise SitingError("the candidates cannot meet the covering needs")
    greedy_n = int(greedy.sum())
    best = greedy
    if short == 0:  # every cell can get k docks: fewest docks whose worst k-th response meets the target
        progress(f"set-cover: greedy {greedy_n} docks; p-center local search")
        low = max(k, int(fixed.sum()), 1)
        local = _fewest_by_local_search(
            problem.cost_s[:, keep],
            fixed,
            k,
            target_s,
            low,
            greedy_n,
            start + LOCAL_SEARCH_SHARE * time_limit_s,
        )
        if local is not None:
            best = local
    progress(f"set-cover: {int(best.sum())} docks so far; solving the MILP (limit {time_limit_s:.0f} s)")
    res, in_milp = generate_rows(rows, fixed, None, True, start + time_limit_s, None)
    if res.chosen is not None and res.chosen.sum() < best.sum():
        best = res.chosen
    value = float(best.sum())
    lower = (
        max(math.ceil(res.bound - 1e-6), int(fixed.sum())) if math.isfinite(res.bound) else int(fixed.sum())
    )
    bound = value if res.status == "optimal" else float(min(lower, value))
    notes = (
        [] if short == 0 else [f"{short} cells have fewer than {k} candidates in time; they get all of them"]
    )
    if res.status != "optimal":
        notes.append(f"MILP stopped at the time limit ({res.status})")
    reduction = replace(rows.reduction, in_milp=in_milp)
    return SitingSolution(
        Objective.SET_COVER, k, _chosen(best), value, float(greedy_n), float(bound), _gap(value, bound),
        time.perf_counter() - start, reduction, 1, target_s, short, tuple(notes),
    )  # fmt: skip


def solve_p_center(
    problem: SitingProblem,
    n: int,
    k: int = 1,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: Progress = _quiet,
) -> SitingSolution:
    """Open ``n`` docks minimising the worst response time of each cell's k-th nearest dock."""
    m = problem.n_candidates
    fixed = _fixed_mask(problem)
    if not k <= n <= m:
        raise SitingError(f"p-center needs k <= n <= candidates, got k={k}, n={n}, candidates={m}")
    if int(fixed.sum()) > n:
        raise SitingError(f"{int(fixed.sum())} fixed docks exceed the {n} docks asked for")
    start = time.perf_counter()
    deadline = start + time_limit_s
    cost = problem.cost_s
    best_all = np.partition(np.asarray(cost, dtype=np.float64), k - 1, axis=0)[k - 1]
    unreachable = ~np.isfinite(best_all)
    if unreachable.all():
        raise SitingError("no demand cell can be reached by k candidates")
    if unreachable.any():
        cost = cost[:, ~unreachable]
    cells = int(cost.shape[1])
    lb0 = float(best_all[~unreachable].max())

    greedy = fill_min_max(cost, fixed, n, k)
    ub = float(kth_response_s(cost, greedy, k).max())
    vals = np.unique(np.asarray(cost[(cost >= lb0) & (cost <= ub)], dtype=np.float64))
    progress(f"p-center: bounds {lb0:.1f}-{ub:.1f} s over {len(vals)} thresholds; greedy bisection")
    lo, hi = 0, len(vals) - 1
    while lo < hi:  # greedy bisection: a better start than one-at-a-time filling
        mid = (lo + hi) // 2
        pick = greedy_cover(coverage_matrix(cost, vals[mid]), np.full(cells, k), fixed, cap=n)
        if pick is None:
            lo = mid + 1
            continue
        pick = fill_min_max(cost, pick, n, k)
        worst = float(kth_response_s(cost, pick, k).max())
        if worst < ub:
            greedy, ub = pick, worst
        hi = int(np.searchsorted(vals, worst))
    greedy_value = ub
    progress(f"p-center: greedy worst {greedy_value:.1f} s; local search")
    best = swap_improve(cost, greedy, fixed, k, start + LOCAL_SEARCH_SHARE * time_limit_s)
    ub = float(kth_response_s(cost, best, k).max())
    hi = int(np.searchsorted(vals, ub))
    progress(f"p-center: local search worst {ub:.1f} s; LP bound bisection")
    lo = 0
    lp_lo, lp_hi = 0, hi
    while lp_lo < lp_hi and time.perf_counter() < start + LP_SHARE * time_limit_s:
        mid = (lp_lo + lp_hi) // 2
        rows = reduce_rows(coverage_matrix(cost, vals[mid]), np.full(cells, k), np.ones(cells), True)
        exceeds = lp_exceeds(rows, fixed, n, start + LP_SHARE * time_limit_s)
        if exceeds is None:
            break
        if exceeds:
            lp_lo = lo = mid + 1
        else:
            lp_hi = mid
    proven_lb = float(vals[min(lo, len(vals) - 1)])
    progress(f"p-center: LP bound {proven_lb:.1f} s; exact bisection (limit {time_limit_s:.0f} s)")

    solves = 0
    reduction = RowReduction(cells, cells, cells, cells)
    timed_out = False
    while lo < hi:
        if deadline - time.perf_counter() <= 0:
            timed_out = True
            break
        mid = (lo + hi) // 2
        t = float(vals[mid])
        rows = reduce_rows(coverage_matrix(cost, t), np.full(cells, k), np.ones(cells), True)
        seed = rows.rows @ best.astype(np.int64) < rows.need  # where the incumbent fails at t
        res, in_milp = generate_rows(rows, fixed, n, False, deadline, seed)
        reduction = replace(rows.reduction, in_milp=in_milp)
        solves += 1
        if res.chosen is not None:
            pick = fill_min_max(cost, res.chosen, n, k)
            worst = float(kth_response_s(cost, pick, k).max())
            if worst <= float(vals[hi]):
                best = pick
            hi = int(np.searchsorted(vals, worst))
            verdict = f"feasible, worst {worst:.1f} s"
        elif res.status == "infeasible":
            lo = mid + 1
            proven_lb = float(vals[lo]) if lo < len(vals) else proven_lb
            verdict = "infeasible"
        else:
            lo, timed_out = mid + 1, True
            verdict = "undecided at the time limit"
        elapsed = time.perf_counter() - start
        size = f"{in_milp}/{rows.reduction.after_dominance} rows"
        progress(f"p-center: T={t:.1f} s {verdict} ({size}, {elapsed:.1f} s)")
    value = float(kth_response_s(cost, best, k).max())
    notes = (
        [f"{int(unreachable.sum())} cells cannot be reached by {k} candidates; ignored"]
        if unreachable.any()
        else []
    )
    if timed_out:
        notes.append("bisection stopped at the time limit; the gap is against the last proven bound")
    return SitingSolution(
        Objective.P_CENTER, k, _chosen(best), value, greedy_value, proven_lb, _gap(value, proven_lb),
        time.perf_counter() - start, reduction, solves, None, int(unreachable.sum()), tuple(notes),
    )  # fmt: skip


def solve_max_cover(
    problem: SitingProblem,
    n: int,
    k: int,
    target_s: float,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: Progress = _quiet,
    backup_weight: float = 0.5,
) -> SitingSolution:
    """Open ``n`` docks maximising covered weight; for k ≥ 2 the 2nd..k-th cover count as backup
    with weight ``backup_weight**(l-1)``. ``value`` is that weighted sum."""
    m = problem.n_candidates
    fixed = _fixed_mask(problem)
    if not 1 <= n <= m or k < 1 or int(fixed.sum()) > n:
        raise SitingError(f"max-cover needs 1 <= fixed <= n <= candidates and k >= 1 (n={n}, k={k})")
    if not 0 < backup_weight <= 1:
        raise SitingError("backup_weight must be within (0, 1]")
    start = time.perf_counter()
    cover = coverage_matrix(problem.cost_s, target_s)
    reach = np.asarray(cover.sum(axis=1)).ravel()
    keep = reach > 0
    rows = reduce_rows(
        sp.csr_array(cover[keep]), np.ones(int(keep.sum()), np.int64), problem.weight[keep], False
    )
    levels = level_weights(k, backup_weight)
    progress(f"max-cover: {rows.reduction.cells} cells -> {rows.reduction.after_merge} rows")
    greedy = greedy_max_cover(rows.rows, rows.weight, fixed, n, levels)
    greedy_value = covered_value(rows.rows, rows.weight, greedy, levels)
    progress(f"max-cover: greedy {greedy_value:.6g}; local search")
    local = swap_max_cover(
        rows.rows, rows.weight, greedy, fixed, levels, start + LOCAL_SEARCH_SHARE * time_limit_s
    )
    local_value = covered_value(rows.rows, rows.weight, local, levels)
    progress(f"max-cover: local search {local_value:.6g}; solving the MILP (limit {time_limit_s:.0f} s)")
    r = rows.rows.shape[0]
    scale = float(rows.weight.sum()) or 1.0
    c = np.concatenate([np.zeros(m), -np.kron(rows.weight / scale, levels)])
    link = sp.hstack([-sp.csr_array(rows.rows, dtype=np.float64), sp.kron(sp.eye_array(r), np.ones((1, k)))])
    count = sp.hstack([sp.csr_array(np.ones((1, m))), sp.csr_array((1, r * k))])
    con = [LinearConstraint(sp.csr_array(link), -np.inf, 0.0), LinearConstraint(sp.csr_array(count), n, n)]
    res = run_milp(c, m, con, fixed, r * k, start + time_limit_s - time.perf_counter())
    best = local
    if res.chosen is not None and covered_value(rows.rows, rows.weight, res.chosen, levels) > local_value:
        best = res.chosen
    value = covered_value(rows.rows, rows.weight, best, levels)
    bound = value if res.status == "optimal" else -res.bound * scale
    notes = [] if res.status == "optimal" else [f"MILP stopped at the time limit ({res.status})"]
    bound = max(bound, value)
    return SitingSolution(
        Objective.MAX_COVER, k, _chosen(best), value, greedy_value, bound, _gap(value, bound),
        time.perf_counter() - start, rows.reduction, 1, target_s, int((~keep).sum()), tuple(notes),
    )  # fmt: skip


def solve(
    problem: SitingProblem,
    objective: Objective,
    n: int,
    k: int,
    target_s: float,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: Progress = _quiet,
) -> SitingSolution:
    """Dispatch to the objective's solver (``n`` is ignored by set-cover, which finds it)."""
    if objective is Objective.SET_COVER:
        return solve_set_cover(problem, k, target_s, time_limit_s, progress)
    if objective is Objective.P_CENTER:
        return solve_p_center(problem, n, k, time_limit_s, progress)
    return solve_max_cover(problem, n, k, target_s, time_limit_s, progress)
