"""The static sim world the camera sees: a textured ground with water, roads and trees, as two
orthographic rasters (colour and surface temperature) in metres east/north of an origin.

The rasters are built once per scene (procedural value noise, deterministic for a seed) and the
renderer samples them through each pixel's ground point, so the same place looks the same from
any pose and a drifting drone sees the ground move as it should.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np
import numpy.typing as npt

from payload.georef import wgs84_to_offset

Polygon = list[tuple[float, float]]
"""Vertices as (east_m, north_m) from the scene origin."""

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Road:
    """A straight road between two points (east_m, north_m) with a width."""

    start: tuple[float, float]
    end: tuple[float, float]
    width_m: float = 8.0


@dataclass(frozen=True)
class SceneMap:
    """Ground features around ``origin`` within ``half_extent_m``; temperatures for a calm night."""

    origin_lon_deg: float
    origin_lat_deg: float
    half_extent_m: float = 150.0
    resolution_m: float = 0.1
    water: tuple[Polygon, ...] = ()
    roads: tuple[Road, ...] = ()
    trees: tuple[tuple[float, float, float], ...] = ()
    """(east_m, north_m, radius_m) of each tree crown."""
    ground_c: float = 14.0
    road_c: float = 18.0
    water_c: float = 9.0
    tree_c: float = 11.0
    seed: int = 7

    @property
    def size_px(self) -> int:
        return round(2 * self.half_extent_m / self.resolution_m)

    def offset_of(self, lon_deg: float, lat_deg: float) -> tuple[float, float]:
        """(east_m, north_m) of a WGS84 point from the origin."""
        n, e = wgs84_to_offset(self.origin_lon_deg, self.origin_lat_deg, lon_deg, lat_deg)
        return float(e), float(n)

    def to_raster(
        self, east_m: npt.NDArray[np.floating], north_m: npt.NDArray[np.floating]
    ) -> tuple[F32, F32]:
        """Raster (col, row) coordinates of ground points, for ``cv2.remap``."""
        col = (east_m + self.half_extent_m) / self.resolution_m - 0.5
        row = (self.half_extent_m - north_m) / self.resolution_m - 0.5
        return col.astype(np.float32), row.astype(np.float32)

    def _poly_px(self, poly: Polygon) -> npt.NDArray[np.int32]:
        pts = np.array(poly, dtype=np.float64)
        col, row = self.to_raster(pts[:, 0], pts[:, 1])
        return np.round(np.stack([col, row], axis=1) * 16).astype(np.int32)

    @cached_property
    def masks(self) -> dict[str, U8]:
        """Raster masks (255 inside) of water, roads and trees."""
        size = self.size_px
        water = np.zeros((size, size), np.uint8)
        for poly in self.water:
            cv2.fillPoly(water, [self._poly_px(poly)], 255, cv2.LINE_AA, shift=4)
        roads = np.zeros((size, size), np.uint8)
        for road in self.roads:
            (x0, y0), (x1, y1) = road.start, road.end
            length = float(np.hypot(x1 - x0, y1 - y0))
            ux, uy = (x1 - x0) / length, (y1 - y0) / length
            px, py = -uy * road.width_m / 2, ux * road.width_m / 2
            quad = [(x0 + px, y0 + py), (x1 + px, y1 + py), (x1 - px, y1 - py), (x0 - px, y0 - py)]
            cv2.fillPoly(roads, [self._poly_px(quad)], 255, cv2.LINE_AA, shift=4)
        trees = np.zeros((size, size), np.uint8)
        for e, n, r in self.trees:
            col, row = self.to_raster(np.array([e]), np.array([n]))
            centre = (int(col[0] * 16), int(row[0] * 16))
            cv2.circle(trees, centre, int(r / self.resolution_m * 16), 255, -1, cv2.LINE_AA, shift=4)
        return {"water": water, "roads": roads, "trees": trees}

    def _noise(self, cells: int, seed: int) -> F32:
        rng = np.random.default_rng(seed)
        small = rng.standard_normal((cells, cells)).astype(np.float32)
        return np.asarray(cv2.resize(small, (self.size_px, self.size_px), interpolation=cv2.INTER_CUBIC))

    @cached_property
    def colour(self) -> U8:
        """BGR orthophoto of the ground."""
        size = self.size_px
        coarse = self._noise(max(size // 60, 4), self.seed)
        fine = self._noise(max(size // 6, 8), self.seed + 1)
        # per channel (B, G, R): base + coarse-noise weight + fine-noise weight
        looks = {
            "grass": ((55, 8, 6), (105, 18, 14), (75, 12, 8)),
            "roads": ((88, 0, 5), (88, 0, 5), (88, 0, 5)),
            "water": ((95, 0, 6), (80, 0, 5), (40, 0, 3)),
            "trees": ((30, 0, 10), (70, 0, 20), (35, 0, 10)),
        }
        alphas = {name: self.masks[name].astype(np.float32) / 255.0 for name in ("roads", "water", "trees")}
        channels = []
        for c in range(3):
            base, wc, wf = looks["grass"][c]
            ch = base + wc * coarse + wf * fine
            for name, a in alphas.items():
                lb, _, lf = looks[name][c]
                ch += (lb + lf * fine - ch) * a
            channels.append(ch)
        img = np.asarray(cv2.merge(channels), dtype=np.float32)
        self._paint_lane_marks(img)
        return np.clip(img, 0, 255).astype(np.uint8)

    def _paint_lane_marks(self, img: F32) -> None:
        """Dashed white centre lines: realistic, and texture for frame alignment."""
        for road in self.roads:
            (x0, y0), (x1, y1) = road.start, road.end
            length = float(np.hypot(x1 - x0, y1 - y0))
            for s in np.arange(0.0, length - 3.0, 9.0):
                a, b = s / length, (s + 3.0) / length
                p0 = self.to_raster(np.array([x0 + a * (x1 - x0)]), np.array([y0 + a * (y1 - y0)]))
                p1 = self.to_raster(np.array([x0 + b * (x1 - x0)]), np.array([y0 + b * (y1 - y0)]))
                thickness = max(int(0.15 / self.resolution_m), 1)
                cv2.line(
                    img,
                    (int(p0[0][0]), int(p0[1][0])),
                    (int(p1[0][0]), int(p1[1][0])),
                    (225.0, 225.0, 225.0),
                    thickness,
                )

    @cached_property
    def temperature(self) -> F32:
        """Surface temperature (°C) of the ground."""
        fine = self._noise(max(self.size_px // 6, 8), self.seed + 2)
        coarse = self._noise(max(self.size_px // 60, 4), self.seed + 3)
        t = self.ground_c + 0.6 * coarse + 0.3 * fine
        m = self.masks
        for name, value in (("roads", self.road_c), ("water", self.water_c), ("trees", self.tree_c)):
            a = m[name].astype(np.float32) / 255.0
            t = t * (1 - a) + (value + 0.2 * fine) * a
        return np.asarray(t, dtype=np.float32)


def lakeside_scene(origin_lon_deg: float = 113.755, origin_lat_deg: float = 34.800) -> SceneMap:
    """A park by a lake (north-east quarter), an east-west road south of the origin and some trees."""
    angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    lake = [(60 + 55 * np.cos(a) * (1 + 0.1 * np.sin(3 * a)), 70 + 45 * np.sin(a)) for a in angles]
    rng = np.random.default_rng(3)
    trees: list[tuple[float, float, float]] = []
    while len(trees) < 40:
        e, n = rng.uniform(-140, 140, 2)
        if (e - 60) ** 2 / 65**2 + (n - 70) ** 2 / 55**2 < 1 or abs(n + 30) < 10:
            continue
        trees.append((float(e), float(n), float(rng.uniform(1.5, 3.5))))
    return SceneMap(
        origin_lon_deg,
        origin_lat_deg,
        water=([(float(e), float(n)) for e, n in lake],),
        roads=(Road((-150.0, -30.0), (150.0, -30.0), 8.0),),
        trees=tuple(trees),
    )
