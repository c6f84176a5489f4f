"""Crowds: groups of people (person or warm-body detections) dense enough on the ground.

People are linked when closer than ``link_m`` on the ground (single linkage); a group of at least
``min_count`` people whose density (people per m² of their hull grown by ``margin_m``) reaches
``min_density_per_m2`` is a crowd. From 60–120 m individuals are 3–10 px, so the thermal
warm-body count is the reliable input by night and by day (reference/payload.md §4.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely import MultiPoint

from payload.model import Detection, Label

SOURCE = "crowd_rule"
PEOPLE_LABELS = frozenset({Label.PERSON, Label.WARM_BODY})


@dataclass(frozen=True)
class CrowdParams:
    link_m: float = 3.0
    min_count: int = 8
    min_density_per_m2: float = 0.05
    margin_m: float = 1.0


def detect_crowds(
    people: list[Detection], ground_en_m: list[tuple[float, float]], params: CrowdParams | None = None
) -> list[Detection]:
    """Crowd detections from people and their ground positions (east_m, north_m in any local frame).

    The crowd's box is the union of its members' boxes; ``count`` and ``area_m2`` are set.
    """
    p = params or CrowdParams()
    keep = [i for i, d in enumerate(people) if d.label in PEOPLE_LABELS]
    if len(keep) < p.min_count:
        return []
    pts = np.array([ground_en_m[i] for i in keep], dtype=np.float64)
    pairs = cKDTree(pts).query_pairs(p.link_m, output_type="ndarray")
    n = len(pts)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    n_groups, labels = connected_components(graph, directed=False)
    crowds: list[Detection] = []
    for g in range(n_groups):
        members = np.flatnonzero(labels == g)
        if len(members) < p.min_count:
            continue
        area_m2 = float(MultiPoint(pts[members]).convex_hull.buffer(p.margin_m).area)
        density = len(members) / area_m2
        if density < p.min_density_per_m2:
            continue
        boxes = np.array([people[keep[i]].bbox_px for i in members])
        x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
        x1, y1 = (boxes[:, 0] + boxes[:, 2]).max(), (boxes[:, 1] + boxes[:, 3]).max()
        confidence = float(min(0.5 + 0.4 * density / (4 * p.min_density_per_m2), 0.9))
        crowds.append(
            Detection(
                Label.CROWD,
                confidence,
                (float(x0), float(y0), float(x1 - x0), float(y1 - y0)),
                SOURCE,
                area_m2=area_m2,
                count=len(members),
            )
        )
    return crowds
