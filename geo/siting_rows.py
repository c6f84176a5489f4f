"""Coverage rows of a siting problem, their reduction, and the greedy heuristics.

A coverage row says which candidates reach a demand cell within a threshold. Cells whose rows are
identical are merged (their weights add up); for covering constraints a row whose candidate set
contains another row's set (with no larger requirement) is dominated and dropped: covering the
smaller set covers it too. Greedy heuristics give the start value every exact answer is compared
with.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo.siting_models import FloatArray, IntArray, RowReduction

BoolArray = NDArray[np.bool_]

#: Above this many candidate-row pairs, dominance is not checked (the merge still is).
DOMINANCE_PAIR_LIMIT = 60_000_000


@dataclass(frozen=True)
class CoverRows:
    """Reduced covering rows: ``rows[r, i] = 1`` when candidate ``i`` reaches row ``r`` in time."""

    rows: sp.csr_array
    need: IntArray
    weight: FloatArray
    reduction: RowReduction


def coverage_matrix(cost_s: NDArray[np.floating], threshold_s: float) -> sp.csr_array:
    """Cells × candidates 0/1 matrix of ``cost_s[i, j] <= threshold_s``."""
    return sp.csr_array((cost_s <= threshold_s).T, dtype=np.int8)


def reduce_rows(cover: sp.csr_array, need: IntArray, weight: FloatArray, drop_dominated: bool) -> CoverRows:
    """Merge cells with identical coverage rows, then (for covering) drop dominated rows."""
    cells = int(cover.shape[0])
    packed = np.packbits(cover.toarray().astype(bool), axis=1)
    _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    merged = sp.csr_array(cover[first])
    merged_need = np.zeros(len(first), dtype=np.int64)
    np.maximum.at(merged_need, inverse, need)
    merged_weight = np.bincount(inverse, weights=weight, minlength=len(first)).astype(np.float64)
    after_merge = len(first)
    if drop_dominated:
        keep = ~_dominated(merged, merged_need)
        merged, merged_need, merged_weight = (
            sp.csr_array(merged[keep]),
            merged_need[keep],
            merged_weight[keep],
        )
    return CoverRows(merged, merged_need, merged_weight, RowReduction(cells, after_merge, len(merged_need)))


def _dominated(rows: sp.csr_array, need: IntArray) -> BoolArray:
    """Rows whose candidate set strictly contains another row's set with at least the same need."""
    n = int(rows.shape[0])
    out = np.zeros(n, dtype=bool)
    col_counts = np.asarray(rows.sum(axis=0)).ravel().astype(np.float64)
    if n < 2 or float(np.sum(col_counts**2)) > DOMINANCE_PAIR_LIMIT:
        return out
    r32 = sp.csr_array(rows, dtype=np.int32)
    size = np.asarray(r32.sum(axis=1)).ravel()
    rt = sp.csc_array(r32.T)
    chunk = max(1, 4_000_000 // max(1, int(np.mean(col_counts) * np.mean(size)) + 1))
    for start in range(0, n, chunk):
        block = sp.coo_array(r32[start : start + chunk] @ rt)
        sub = block.row + start  # the candidate subset row
        sup = block.col  # the row that may contain it
        hit = (block.data == size[sub]) & (sub != sup) & (need[sub] >= need[sup]) & (size[sup] > size[sub])
        out[sup[hit]] = True
    return out


def greedy_cover(
    rows: sp.csr_array, need: IntArray, fixed: BoolArray, cap: int | None = None
) -> BoolArray | None:
    """Greedy multi-cover: add the candidate that meets most unmet needs, then drop redundant ones.

    Returns the chosen mask, or None when the needs cannot be met (within ``cap`` docks if given).
    """
    cols = sp.csc_array(rows)
    chosen = fixed.copy()
    residual = need - rows @ chosen.astype(np.int64)
    order: list[int] = []
    while np.any(residual > 0):
        if cap is not None and int(chosen.sum()) >= cap:
            return None
        score = rows.T @ (residual > 0).astype(np.int64)
        score[chosen] = -1
        best = int(np.argmax(score))
        if score[best] <= 0:
            return None
        chosen[best] = True
        order.append(best)
        residual[cols.indices[cols.indptr[best] : cols.indptr[best + 1]]] -= 1
    count = rows @ chosen.astype(np.int64)
    for i in reversed(order):
        hit = cols.indices[cols.indptr[i] : cols.indptr[i + 1]]
        if np.all(count[hit] - 1 >= need[hit]):
            chosen[i] = False
            count[hit] -= 1
    return chosen


def kth_response_s(cost_s: NDArray[np.floating], chosen: BoolArray, k: int) -> FloatArray:
    """Per cell, the response time of its k-th nearest chosen candidate (``inf`` if fewer than k)."""
    sub = np.asarray(cost_s[chosen], dtype=np.float64)
    if sub.shape[0] < k:
        return np.full(cost_s.shape[1], np.inf)
    return np.asarray(np.partition(sub, k - 1, axis=0)[k - 1], dtype=np.float64)


def fill_min_max(cost_s: NDArray[np.floating], chosen: BoolArray, n: int, k: int) -> BoolArray:
    """Add candidates one at a time, each minimising the worst k-th response (ties: the mean),
    until ``n`` are chosen."""
    chosen = chosen.copy()
    m, cells = cost_s.shape
    top = np.full((k, cells), np.inf)
    if chosen.any():
        sub = np.sort(np.asarray(cost_s[chosen], dtype=np.float64), axis=0)[:k]
        top[: sub.shape[0]] = sub
    block = max(1, 8_000_000 // max(cells, 1))
    while int(chosen.sum()) < min(n, m):
        kth, below = top[k - 1], (top[k - 2] if k >= 2 else np.full(cells, -np.inf))
        best_key, best_i = (np.inf, np.inf), -1
        for start in range(0, m, block):
            c = np.asarray(cost_s[start : start + block], dtype=np.float64)
            new = np.where(c < kth, np.maximum(c, below), kth)
            worst = new.max(axis=1)
            mean = np.minimum(new, 1e7).mean(axis=1)
            worst[chosen[start : start + block]] = np.inf
            mean[chosen[start : start + block]] = np.inf
            j = int(np.lexsort((mean, worst))[0])
            if (worst[j], mean[j]) < best_key:
                best_key, best_i = (float(worst[j]), float(mean[j])), start + j
        if best_i < 0:
            break
        chosen[best_i] = True
        top = np.sort(np.vstack([top, np.asarray(cost_s[best_i], dtype=np.float64)[None, :]]), axis=0)[:k]
    return chosen


def level_weights(k: int, backup_weight: float) -> FloatArray:
    """Weight of a cell's l-th coverage, l = 1..k: 1 for the first, ``backup_weight**(l-1)`` after."""
    return np.asarray(backup_weight ** np.arange(k), dtype=np.float64)


def covered_value(rows: sp.csr_array, weight: FloatArray, chosen: BoolArray, levels: FloatArray) -> float:
    """Max-cover objective: each cell's weight times the level weights of its coverage count."""
    count = rows @ chosen.astype(np.int64)
    cum = np.concatenate([[0.0], np.cumsum(levels)])
    return float(np.sum(weight * cum[np.minimum(count, len(levels))]))


def greedy_max_cover(
    rows: sp.csr_array, weight: FloatArray, fixed: BoolArray, n: int, levels: FloatArray
) -> BoolArray:
    """Add the candidate with the largest marginal (backup-weighted) coverage until ``n`` are open."""
    chosen = fixed.copy()
    k = len(levels)
    nxt = np.concatenate([levels, [0.0]])
    while int(chosen.sum()) < min(n, rows.shape[1]):
        count = np.minimum(rows @ chosen.astype(np.int64), k)
        gain = rows.T @ (weight * nxt[count])
        gain[chosen] = -1.0
        chosen[int(np.argmax(gain))] = True
    return chosen


def swap_improve(
    cost_s: NDArray[np.floating],
    chosen: BoolArray,
    fixed: BoolArray,
    k: int,
    deadline: float,
    pool: int = 400,
) -> BoolArray:
    """Local search for p-center (vertex substitution): move one dock to the candidate that best
    lowers the worst k-th response (ties: the mean), while that helps and time remains.

    Only candidates that reach the worst cell faster than now can lower the worst; the ``pool``
    fastest of them are tried against every movable dock.
    """
    chosen = chosen.copy()
    while time.perf_counter() < deadline:
        kth = kth_response_s(cost_s, chosen, k)
        j = int(np.argmax(kth))
        current = (float(kth[j]), float(np.minimum(kth, 1e7).mean()))
        col = np.asarray(cost_s[:, j], dtype=np.float64)
        cands = np.flatnonzero((col < current[0]) & ~chosen)
        if len(cands) == 0:
            break
        cands = cands[np.argsort(col[cands])[:pool]]
        c = np.asarray(cost_s[cands], dtype=np.float64)
        best_key, best_move = current, (-1, -1)
        for d in np.flatnonzero(chosen & ~fixed):
            rest = chosen.copy()
            rest[d] = False
            top = np.full((k, cost_s.shape[1]), np.inf)
            sub = np.sort(np.asarray(cost_s[rest], dtype=np.float64), axis=0)[:k]
            top[: sub.shape[0]] = sub
            below = top[k - 2] if k >= 2 else np.full(cost_s.shape[1], -np.inf)
            new = np.where(c < top[k - 1], np.maximum(c, below), top[k - 1])
            worst = new.max(axis=1)
            mean = np.minimum(new, 1e7).mean(axis=1)
            i = int(np.lexsort((mean, worst))[0])
            if (float(worst[i]), float(mean[i])) < best_key:
                best_key, best_move = (float(worst[i]), float(mean[i])), (int(d), int(cands[i]))
        if best_move[0] < 0:
            break
        chosen[best_move[0]], chosen[best_move[1]] = False, True
    return chosen


def swap_max_cover(
    rows: sp.csr_array,
    weight: FloatArray,
    chosen: BoolArray,
    fixed: BoolArray,
    levels: FloatArray,
    deadline: float,
) -> BoolArray:
    """Local search for max-cover: apply the best single move of one dock to another candidate
    while it raises the covered (backup-weighted) value and time remains."""
    chosen = chosen.copy()
    k = len(levels)
    nxt = np.concatenate([levels, [0.0]])
    cum = np.concatenate([[0.0], np.cumsum(levels)])
    cols = sp.csc_array(rows)
    while time.perf_counter() < deadline:
        count = np.minimum(rows @ chosen.astype(np.int64), k)
        current = float(np.sum(weight * cum[count]))
        best_delta, move = 1e-9 * max(current, 1.0), (-1, -1)
        for d in np.flatnonzero(chosen & ~fixed):
            cnt = rows @ chosen.astype(np.int64)
            cnt[cols.indices[cols.indptr[d] : cols.indptr[d + 1]]] -= 1
            cnt = np.minimum(cnt, k)
            gain = rows.T @ (weight * nxt[cnt])
            gain[chosen] = -np.inf
            c = int(np.argmax(gain))
            delta = float(np.sum(weight * cum[cnt])) + float(gain[c]) - current
            if delta > best_delta:
                best_delta, move = delta, (int(d), c)
        if move[0] < 0:
            break
        chosen[move[0]], chosen[move[1]] = False, True
    return chosen
