"""Value objects of dock siting (reference/planning.md §1 and §6, "Siting optimiser").

A siting problem is a matrix of response times from candidate sites (rows) to demand cells
(columns), the weight of each cell (its area, or incidents), and the candidates that must stay
open (existing docks). Solvers return a :class:`SitingSolution` that says how good the answer is
(its value, the greedy start's value, the proven bound and the relative gap) and how much the
row reduction shrank the model.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Receives one line of progress ("p-center: T=312.4 s feasible (14 docks) 3.2 s").
Progress = Callable[[str], None]


class SitingError(ValueError):
    """The siting input cannot be solved as asked (bad sizes, too few candidates, ...)."""


class Objective(enum.StrEnum):
    """What the optimiser minimises or maximises."""

    P_CENTER = "p-center"  # min worst (k-th nearest) response time with n docks
    SET_COVER = "set-cover"  # min docks so that every cell has >= k docks within the target
    MAX_COVER = "max-cover"  # n docks, max covered weight (levels 2..k count as backup cover)


@dataclass(frozen=True)
class SitingProblem:
    """Response times ``cost_s[i, j]`` from candidate ``i`` to demand cell ``j`` (``inf`` = never).

    ``weight`` is each cell's weight (m² of district by default); ``fixed`` the candidates that are
    open whatever the optimiser does (``y_i = 1``).
    """

    cost_s: NDArray[np.floating]
    weight: FloatArray
    fixed: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.cost_s.ndim != 2 or self.cost_s.shape[0] == 0 or self.cost_s.shape[1] == 0:
            raise SitingError("the cost matrix needs at least one candidate and one demand cell")
        if self.weight.shape != (self.cost_s.shape[1],):
            raise SitingError("one weight per demand cell is needed")
        if not np.all(np.isfinite(self.weight)) or np.any(self.weight < 0):
            raise SitingError("demand weights must be finite and >= 0")
        if np.any(np.isnan(self.cost_s)):
            raise SitingError("the cost matrix contains NaN")
        m = self.cost_s.shape[0]
        if any(not 0 <= i < m for i in self.fixed) or len(set(self.fixed)) != len(self.fixed):
            raise SitingError("fixed candidates must be distinct indices of the candidate list")

    @property
    def n_candidates(self) -> int:
        return int(self.cost_s.shape[0])

    @property
    def n_cells(self) -> int:
        return int(self.cost_s.shape[1])


@dataclass(frozen=True)
class RowReduction:
    """How much merging identical coverage rows and dropping dominated rows shrank the model
    (for p-center: its last feasibility model). ``in_milp`` is how many of the remaining rows the
    last MILP held: row generation starts from a sample and adds violated rows until none is left.
    """

    cells: int
    after_merge: int
    after_dominance: int
    in_milp: int = 0

    @property
    def factor(self) -> float:
        return self.cells / max(self.after_dominance, 1)


@dataclass(frozen=True)
class SitingSolution:
    """The chosen candidates and how good they are.

    ``value`` is the objective: docks (set-cover), worst k-th-nearest response time in s
    (p-center) or covered weight (max-cover). ``bound`` is what is proven about the optimum (a lower
    bound when minimising, an upper bound when maximising); ``optimality_gap`` is
    ``|value - bound| / |value|`` (0 when proven optimal).
    """

    objective: Objective
    k: int
    chosen: tuple[int, ...]
    value: float
    greedy_value: float
    bound: float
    optimality_gap: float
    solve_s: float
    reduction: RowReduction
    milp_solves: int
    target_s: float | None = None
    uncoverable_cells: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def proven_optimal(self) -> bool:
        return self.optimality_gap <= 1e-9
