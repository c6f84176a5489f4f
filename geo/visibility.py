"""Visibility among keep-out obstacles: which straight legs are clear, the corners a shortest
route may bend at, and the shadow an obstacle edge casts. Used by :mod:`geo.routing`.

A leg is tested (numpy orientation tests) only against the obstacle edges an R-tree of edge
groups says it may meet; passing exactly through an obstacle corner counts as crossing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.polygon import orient

FloatArray = NDArray[np.float64]

CHUNK = 1 << 17  # legs (and leg/edge-group pairs) per block of the visibility test
GROUP = 8  # obstacle edges per R-tree entry


def ring_edges(ring: Any) -> FloatArray:
    """The edges of a linear ring as rows (x1, y1, x2, y2)."""
    c = np.asarray(ring.coords, dtype=np.float64)[:, :2]
    return np.column_stack([c[:-1], c[1:]])


def polygon_parts(geom: Any) -> list[Polygon]:
    """The non-empty polygons in a geometry (a Polygon, MultiPolygon or collection)."""
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if isinstance(geom, MultiPolygon):
        return [g for g in geom.geoms if not g.is_empty]
    if hasattr(geom, "geoms"):
        return [g for sub in geom.geoms for g in polygon_parts(sub)]
    return []


def convex_corners(poly: Polygon, nudge_m: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Corners where the obstacle is convex (the only ones a shortest path bends at), nudged out,
    with the directions of the edge arriving at and leaving each corner (obstacle on the left)."""
    out: list[tuple[FloatArray, FloatArray, FloatArray]] = []
    poly = orient(poly, sign=1.0)  # exterior CCW, holes CW: the obstacle is on each ring's left
    for ring in [poly.exterior, *poly.interiors]:
        c = np.asarray(ring.coords, dtype=np.float64)[:-1, :2]
        prev_e = c - np.roll(c, 1, axis=0)
        next_e = np.roll(c, -1, axis=0) - c
        turn = prev_e[:, 0] * next_e[:, 1] - prev_e[:, 1] * next_e[:, 0]
        n_prev = np.column_stack([prev_e[:, 1], -prev_e[:, 0]])
        n_next = np.column_stack([next_e[:, 1], -next_e[:, 0]])
        n_prev /= np.linalg.norm(n_prev, axis=1, keepdims=True)
        n_next /= np.linalg.norm(n_next, axis=1, keepdims=True)
        bis = n_prev + n_next
        norm = np.linalg.norm(bis, axis=1, keepdims=True)
        keep = (turn > 0) & (norm[:, 0] > 1e-9)
        out.append((c[keep] + nudge_m * bis[keep] / norm[keep], prev_e[keep], next_e[keep]))
    return (
        np.vstack([o[0] for o in out]),
        np.vstack([o[1] for o in out]),
        np.vstack([o[2] for o in out]),
    )


def cross(ax: Any, ay: Any, bx: Any, by: Any) -> Any:
    """The z component of (ax, ay) × (bx, by), broadcast over arrays."""
    return ax * by - ay * bx


def crosses(a: FloatArray, b: FloatArray, e: FloatArray) -> NDArray[np.bool_]:
    """Does segment a[i]→b[i] cross any edge of e[i] (shape (n, G, 4), NaN rows = padding)?
    Passing exactly through an edge's end counts (the safe side: a leg through two obstacle
    corners is refused); running along an edge does not."""
    ax, ay, bx, by = a[:, 0:1], a[:, 1:2], b[:, 0:1], b[:, 1:2]
    x1, y1, x2, y2 = e[:, :, 0], e[:, :, 1], e[:, :, 2], e[:, :, 3]
    ex, ey, sx, sy = x2 - x1, y2 - y1, bx - ax, by - ay
    d1 = ex * (ay - y1) - ey * (ax - x1)
    d2 = ex * (by - y1) - ey * (bx - x1)
    d3 = sx * (y1 - ay) - sy * (x1 - ax)
    d4 = sx * (y2 - ay) - sy * (x2 - ax)
    return np.asarray(np.any((d1 * d2 < 0) & (d3 * d4 <= 0), axis=1))


class Obstacles:
    """The obstacles a leg is checked against for one set of exempted (clearance-band) parts.

    Legs never start or end inside an active obstacle, so a leg is blocked exactly when it
    crosses an obstacle edge. Edges are packed in groups of ``GROUP`` consecutive edges under an
    R-tree of the groups' boxes; each leg is tested (numpy orientation tests) only against the
    groups its box meets."""

    def __init__(self, edges: FloatArray, geometry: shapely.Geometry) -> None:
        self.edges = edges
        self.geometry = geometry
        shapely.prepare(geometry)
        pad = (-len(edges)) % GROUP
        self._groups = np.vstack([edges, np.full((pad, 4), np.nan)]).reshape(-1, GROUP, 4)
        xs = self._groups[:, :, [0, 2]].reshape(len(self._groups), -1)
        ys = self._groups[:, :, [1, 3]].reshape(len(self._groups), -1)
        boxes = shapely.box(
            np.nanmin(xs, axis=1) - 1e-6,
            np.nanmin(ys, axis=1) - 1e-6,
            np.nanmax(xs, axis=1) + 1e-6,
            np.nanmax(ys, axis=1) + 1e-6,
        )
        self._tree = shapely.STRtree(boxes) if len(edges) else None

    def blocks(self, a: FloatArray, b: FloatArray) -> NDArray[np.bool_]:
        hit = np.zeros(len(a), dtype=bool)
        if self._tree is None or len(a) == 0:
            return hit
        for s in range(0, len(a), CHUNK):
            aa, bb = a[s : s + CHUNK], b[s : s + CHUNK]
            seg_i, grp_i = self._tree.query(shapely.linestrings(np.stack([aa, bb], axis=1)))
            for t in range(0, len(seg_i), CHUNK):
                si, gi = seg_i[t : t + CHUNK], grp_i[t : t + CHUNK]
                crossed = crosses(aa[si], bb[si], self._groups[gi])
                hit[s + si[crossed]] = True
        return hit


def near_edges(o: FloatArray, edges: FloatArray, radius: float) -> NDArray[np.bool_]:
    """Edges that come within ``radius`` of ``o``."""
    p1, p2 = edges[:, :2], edges[:, 2:]
    v = p2 - p1
    vv = np.maximum(np.einsum("ij,ij->i", v, v), 1e-300)
    t = np.clip(np.einsum("ij,ij->i", o - p1, v) / vv, 0.0, 1.0)
    closest = p1 + t[:, None] * v
    return np.asarray(np.hypot(*(closest - o).T) <= radius)


def shadow(o: FloatArray, seg: FloatArray, radius: float) -> Polygon | None:
    """The region behind edge ``seg`` seen from ``o``, out beyond ``radius``."""
    p1, p2 = seg[:2], seg[2:]
    v1, v2 = p1 - o, p2 - o
    if abs(v1[0] * v2[1] - v1[1] * v2[0]) <= 1e-9 * (np.hypot(*v1) * np.hypot(*v2) + 1e-300):
        return None  # the origin is on the edge's line: no area behind it
    a1, a2 = math.atan2(v1[1], v1[0]), math.atan2(v2[1], v2[0])
    sweep = (a1 - a2 + math.pi) % (2 * math.pi) - math.pi  # from a2 back to a1, the short way
    far = 2.0 * max(radius, float(np.hypot(*v1)), float(np.hypot(*v2)))
    steps = max(1, math.ceil(abs(sweep) / (math.pi / 3)))
    angles = a2 + sweep * np.linspace(0.0, 1.0, steps + 1)
    arc = o + far * np.column_stack([np.cos(angles), np.sin(angles)])
    return Polygon(np.vstack([p1, p2, arc]))
