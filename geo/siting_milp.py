"""The MILP side of siting: one HiGHS solve, and covering models solved by row generation.

Row generation solves a covering model on a subset of its rows, then adds the rows the answer
violates, until an answer meets every row. A subset is a relaxation, so its infeasibility and its
bounds hold for the full model.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.siting_models import FloatArray
from geo.siting_rows import BoolArray, CoverRows, greedy_cover

#: Row generation: rows in the first model, and violated rows added per round.
ROW_SEED = 400
ROW_BATCH = 400


@dataclass(frozen=True)
class MilpOutcome:
    """What a solve established: its status, the chosen candidates (if any) and HiGHS' dual bound."""

    status: str  # optimal | feasible | infeasible | unknown
    chosen: BoolArray | None
    bound: float


def run_milp(
    c: FloatArray, m: int, constraints: list[LinearConstraint], fixed: BoolArray, n_cont: int, limit_s: float
) -> MilpOutcome:
    """Solve with the first ``m`` variables binary (fixed ones at 1) and ``n_cont`` in [0, 1]."""
    lb = np.concatenate([fixed.astype(np.float64), np.zeros(n_cont)])
    integrality = np.concatenate([np.ones(m), np.zeros(n_cont)])
    options = {"disp": False, "time_limit": max(limit_s, 0.05), "mip_rel_gap": 1e-6}
    res = milp(c, integrality=integrality, bounds=Bounds(lb, 1.0), constraints=constraints, options=options)
    chosen = None if res.x is None else np.asarray(res.x[:m] > 0.5)
    bound = float(res.mip_dual_bound) if getattr(res, "mip_dual_bound", None) is not None else -math.inf
    if res.status == 0:
        return MilpOutcome("optimal", chosen, bound)
    if res.status == 2:
        return MilpOutcome("infeasible", None, bound)
    return MilpOutcome("feasible" if chosen is not None else "unknown", chosen, bound)


def generate_rows(
    rows: CoverRows,
    fixed: BoolArray,
    cap: int | None,
    minimise: bool,
    deadline: float,
    seed: BoolArray | None,
) -> tuple[MilpOutcome, int]:
    """Solve the covering model by row generation: a subset of rows first, then the rows its
    answer violates, until an answer meets every row.

    A subset is a relaxation, so "infeasible" and every dual bound hold for the full model; an
    answer that meets every row is feasible (and optimal when the subset model was solved to
    optimality). When minimising and time runs out, the last subset answer is completed greedily
    into a feasible one. Returns the outcome and the number of rows in the last model.
    """
    a, need = rows.rows, rows.need
    total, m = int(a.shape[0]), int(a.shape[1])
    rng = np.random.default_rng(0)
    active = np.zeros(total, dtype=bool)
    active[rng.choice(total, size=min(total, ROW_SEED), replace=False)] = True
    if seed is not None:
        active |= seed
    c = np.ones(m) if minimise else np.zeros(m)
    bound = -math.inf
    last: BoolArray | None = None

    def out_of_time() -> MilpOutcome:
        if minimise and last is not None:
            repaired = greedy_cover(a, need, last)
            if repaired is not None:
                return MilpOutcome("feasible", repaired, bound)
        return MilpOutcome("unknown", None, bound)

    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return out_of_time(), int(active.sum())
        sub = sp.csr_array(a[active], dtype=np.float64)
        con = [LinearConstraint(sub, need[active].astype(np.float64), np.inf)]
        if cap is not None:
            con.append(LinearConstraint(np.ones((1, m)), 0, cap))
        res = run_milp(c, m, con, fixed, 0, remaining)
        bound = max(bound, res.bound)
        if res.chosen is None:
            if res.status == "unknown":
                return out_of_time(), int(active.sum())
            return MilpOutcome(res.status, None, bound), int(active.sum())
        last = res.chosen
        short = np.flatnonzero(a @ res.chosen.astype(np.int64) < need)
        if len(short) == 0:
            return MilpOutcome(res.status, res.chosen, bound), int(active.sum())
        active[rng.choice(short, size=min(len(short), ROW_BATCH), replace=False)] = True


def lp_exceeds(rows: CoverRows, fixed: BoolArray, n: int, deadline: float) -> bool | None:
    """Whether the LP relaxation of the covering model needs more than ``n`` docks (a proof that
    ``n`` docks cannot do), by row generation; None when time runs out first."""
    a, need = rows.rows, rows.need
    total, m = int(a.shape[0]), int(a.shape[1])
    rng = np.random.default_rng(1)
    active = np.zeros(total, dtype=bool)
    active[rng.choice(total, size=min(total, ROW_SEED), replace=False)] = True
    bounds = Bounds(fixed.astype(np.float64), 1.0)
    while time.perf_counter() < deadline:
        sub = sp.csr_array(a[active], dtype=np.float64)
        con = LinearConstraint(sub, need[active].astype(np.float64), np.inf)
        limit = max(deadline - time.perf_counter(), 0.05)
        res = milp(np.ones(m), bounds=bounds, constraints=[con], options={"time_limit": limit})
        if res.status == 2:
            return True
        if res.x is None:
            return None
        if res.fun > n + 1e-6:
            return True
        short = np.flatnonzero(a @ res.x < need - 1e-7)
        if len(short) == 0:
            return False
        active[rng.choice(short, size=min(len(short), ROW_BATCH), replace=False)] = True
    return None
