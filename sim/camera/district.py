"""The district between the scenes: a procedural but stable ground (a street grid, its blocks, fields).

Everything is a function of the world position (metres east/north of :data:`DISTRICT_ORIGIN`) and
a seed, never of time or of the view: :meth:`District.ortho` draws any rectangle of it as a
north-up raster of material ids, :meth:`District.texture` gives the value noise of any point, and
the same place comes out the same from every pass. The raster's pixel grid is anchored to the world
(its origin a multiple of the resolution), so edges do not shift between frames.

The layout follows Zhengdong's grid loosely: straight north-south and east-west roads every
~260 m (every third an arterial 40 m wide with a green median and lanes, the others 18 m), 5 m
sidewalks with street trees, and between them blocks of residential slabs, offices with car parks,
parks with trees and ponds, fields, building sites and sheds. Colours stay out of the payload's fire
colour rule (red ≤ 130) and grey surfaces are dark (grey < 110) or tinted, so the ground itself
proposes no fire or smoke; temperatures are a calm night's (9–19 °C, no hot spot, nothing warm).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import IntEnum

import cv2
import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]

#: The district's reference point (the centre of the sketch polygon's bounding box).
DISTRICT_ORIGIN = (113.837, 34.828)
SPACING_M = 260.0
JITTER_M = 35.0
MAJOR_EVERY = 3
MAJOR_WIDTH_M = 40.0
MINOR_WIDTH_M = 18.0
MEDIAN_M = 5.0
LANE_M = 3.5
SIDEWALK_M = 5.0
DASH_M, DASH_PERIOD_M, MARK_WIDTH_M = 3.0, 9.0, 0.15


class Material(IntEnum):
    ASPHALT = 0
    MARK = 1
    PAVING = 2
    GRASS = 3
    TREE = 4
    WATER = 5
    ROOF_LIGHT = 6
    ROOF_DARK = 7
    ROOF_BLUE = 8
    ROOF_GREEN = 9
    SOIL = 10
    CROP_A = 11
    CROP_B = 12
    CROP_C = 13
    PARKING = 14


# BGR, °C at night, and the texture amplitude (grey levels, kelvin) of each material
_LOOKS: dict[Material, tuple[tuple[float, float, float], float, float]] = {
    Material.ASPHALT: ((80, 82, 84), 18.0, 5.0),
    Material.MARK: ((236, 236, 236), 17.0, 2.0),
    Material.PAVING: ((88, 100, 114), 16.0, 6.0),
    Material.GRASS: ((55, 105, 75), 13.5, 12.0),
    Material.TREE: ((32, 72, 38), 11.0, 10.0),
    Material.WATER: ((95, 80, 40), 9.0, 3.0),
    Material.ROOF_LIGHT: ((170, 152, 126), 12.0, 4.0),
    Material.ROOF_DARK: ((90, 92, 96), 13.0, 5.0),
    Material.ROOF_BLUE: ((165, 118, 70), 11.0, 4.0),
    Material.ROOF_GREEN: ((104, 130, 92), 12.5, 5.0),
    Material.SOIL: ((80, 98, 112), 15.0, 10.0),
    Material.CROP_A: ((50, 118, 82), 13.0, 10.0),
    Material.CROP_B: ((62, 110, 104), 13.5, 10.0),
    Material.CROP_C: ((72, 94, 106), 14.5, 10.0),
    Material.PARKING: ((72, 74, 76), 17.5, 4.0),
}
PALETTE_BGR = np.array([_LOOKS[m][0] for m in Material], np.float32)
TEMPERATURE_C = np.array([_LOOKS[m][1] for m in Material], np.float32)
TEXTURE = np.array([_LOOKS[m][2] for m in Material], np.float32)
_LUT_BGR = np.zeros((256, 1, 3), np.uint8)
_LUT_BGR[: len(Material), 0] = PALETTE_BGR
_LUT_TEXTURE = np.zeros(256, np.uint8)
_LUT_TEXTURE[: len(Material)] = TEXTURE
_LUT_TEMPERATURE = np.zeros(256, np.float32)
_LUT_TEMPERATURE[: len(Material)] = TEMPERATURE_C
ROOFS = (Material.ROOF_LIGHT, Material.ROOF_DARK, Material.ROOF_GREEN, Material.ROOF_BLUE)
CROPS = (Material.CROP_A, Material.CROP_B, Material.CROP_C)

_M1, _M2, _M3 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9


def hash01(seed: int, a: npt.ArrayLike, b: npt.ArrayLike = 0, c: int = 0) -> npt.NDArray[np.float64]:
    """A uniform [0, 1) value per integer pair (splitmix64 finaliser), the same on every call."""
    x = np.asarray(a, np.int64).astype(np.uint64) * np.uint64(_M1)
    x ^= np.asarray(b, np.int64).astype(np.uint64) * np.uint64(_M2)
    x ^= np.uint64(((seed * 1_000_003 + c) * _M3) % 2**64)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


def _h(seed: int, a: int, b: int = 0, c: int = 0) -> float:
    return float(hash01(seed, np.array([a]), np.array([b]), c)[0])


@dataclass(frozen=True)
class Line:
    """A straight road: its centre (east_m of a north-south road, north_m of an east-west one)."""

    centre_m: float
    width_m: float
    major: bool

    @property
    def lo_m(self) -> float:
        return self.centre_m - self.width_m / 2

    @property
    def hi_m(self) -> float:
        return self.centre_m + self.width_m / 2


@dataclass
class Ortho:
    """A north-up raster of the district: pixel (row, col) centre is at
    ``east = east0 + (col + 0.5)·res``, ``north = north1 - (row + 0.5)·res``."""

    east0_m: float
    north1_m: float
    res_m: float
    ids: U8

    def cols(self, e0: float, e1: float) -> slice:
        w = self.ids.shape[1]
        return slice(
            min(max(round((e0 - self.east0_m) / self.res_m), 0), w),
            min(max(round((e1 - self.east0_m) / self.res_m), 0), w),
        )

    def rows(self, n0: float, n1: float) -> slice:
        h = self.ids.shape[0]
        return slice(
            min(max(round((self.north1_m - n1) / self.res_m), 0), h),
            min(max(round((self.north1_m - n0) / self.res_m), 0), h),
        )

    def rect(self, e0: float, n0: float, e1: float, n1: float, material: Material) -> None:
        self.ids[self.rows(n0, n1), self.cols(e0, e1)] = material

    def px(self, east_m: float, north_m: float) -> tuple[int, int]:
        """Fixed-point (x16) pixel coordinates for cv2 drawing with ``shift=4``."""
        return (
            round(((east_m - self.east0_m) / self.res_m - 0.5) * 16),
            round(((self.north1_m - north_m) / self.res_m - 0.5) * 16),
        )

    def disc(self, east_m: float, north_m: float, radius_m: float, material: Material) -> None:
        cv2.circle(
            self.ids,
            self.px(east_m, north_m),
            round(radius_m / self.res_m * 16),
            int(material),
            -1,
            cv2.LINE_8,
            4,
        )

    def colour(self) -> U8:
        """BGR raster of the materials' base colours (texture comes per pixel: :meth:`District.texture`)."""
        return np.asarray(cv2.LUT(cv2.merge([self.ids] * 3), _LUT_BGR), np.uint8)

    def temperature(self) -> F32:
        """Surface temperature (°C) raster of the materials' base temperatures."""
        return np.asarray(cv2.LUT(self.ids, _LUT_TEMPERATURE), np.float32)


class District:
    """The procedural district; ``seed`` picks one of many equally plausible ones."""

    def __init__(self, seed: int = 11) -> None:
        self.seed = seed

    # -- the street grid ----------------------------------------------------------------------

    def line(self, axis: int, k: int) -> Line:
        """The ``k``-th road across ``axis`` (0: north-south roads at an east_m, 1: east-west)."""
        centre = k * SPACING_M + JITTER_M * (2 * _h(self.seed, k, axis, 1) - 1)
        major = k % MAJOR_EVERY == 0
        return Line(centre, MAJOR_WIDTH_M if major else MINOR_WIDTH_M, major)

    def lines(self, axis: int, lo_m: float, hi_m: float) -> list[tuple[int, Line]]:
        """Roads whose centre may lie in [lo_m - SPACING, hi_m + SPACING], with their index."""
        k0, k1 = math.floor(lo_m / SPACING_M) - 1, math.ceil(hi_m / SPACING_M) + 1
        return [(k, self.line(axis, k)) for k in range(k0, k1 + 1)]

    # -- the raster ---------------------------------------------------------------------------

    def ortho(self, e0: float, n0: float, e1: float, n1: float, res_m: float) -> Ortho:
        """The rectangle [e0, e1] x [n0, n1] (widened to whole world-anchored pixels)."""
        c0, c1 = math.floor(e0 / res_m), math.ceil(e1 / res_m)
        r0, r1 = math.floor(n0 / res_m), math.ceil(n1 / res_m)
        east0, north1 = c0 * res_m, r1 * res_m
        shape = (max(r1 - r0, 1), max(c1 - c0, 1))
        o = Ortho(east0, north1, res_m, np.full(shape, Material.GRASS, np.uint8))
        e0, n0, e1, n1 = east0, north1 - shape[0] * res_m, east0 + shape[1] * res_m, north1
        xs, ys = self.lines(0, e0, e1), self.lines(1, n0, n1)
        for (i, a), (_, b) in itertools.pairwise(xs):
            for (j, c), (_, d) in itertools.pairwise(ys):
                if b.lo_m <= e0 or a.hi_m >= e1 or d.lo_m <= n0 or c.hi_m >= n1:
                    continue  # the block is out of the rectangle
                self._block(o, i, j, (a.hi_m, c.hi_m, b.lo_m, d.lo_m))
        for axis, roads, across in ((0, xs, ys), (1, ys, xs)):
            for _, road in roads:
                self._road(o, axis, road, [r for _, r in across], (e0, n0, e1, n1))
        return o

    def texture(self, o: Ortho, col: F32, row: F32, fine: bool = True) -> tuple[F32, F32]:
        """Texture at raster coordinates (col, row) of ``o`` (any points, e.g. a camera's pixels):
        value noise of the world position in about [-1.5, 1.5] (three octaves: 40 m, 4 m and, if
        ``fine``, 0.6 m grain), and the amplitude of the material there (grey levels; kelvin x 0.03)."""
        total = self._octave(o, col, row, 40.0, 1) + 0.6 * self._octave(o, col, row, 4.0, 2)
        if fine:
            total += 0.5 * self._octave(o, col, row, 0.6, 3)
        ids = cv2.remap(o.ids, col, row, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
        return total, np.asarray(cv2.LUT(ids, _LUT_TEXTURE), np.float32)

    def _octave(self, o: Ortho, col: F32, row: F32, cell_m: float, layer: int) -> F32:
        """One octave: hashed values on a world lattice of ``cell_m``, bilinear between them."""
        h, w = o.ids.shape
        e1, n0 = o.east0_m + w * o.res_m, o.north1_m - h * o.res_m
        i0, i1 = math.floor(o.east0_m / cell_m) - 2, math.ceil(e1 / cell_m) + 2
        j0, j1 = math.floor(n0 / cell_m) - 2, math.ceil(o.north1_m / cell_m) + 2
        ii, jj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j1, j0 - 1, -1))
        lattice = (2.0 * hash01(self.seed, ii, jj, 100 + layer) - 1.0).astype(np.float32)
        s = np.float32(o.res_m / cell_m)
        x = col * s + np.float32((o.east0_m + 0.5 * o.res_m) / cell_m - i0)
        y = row * s + np.float32(j1 - (o.north1_m - 0.5 * o.res_m) / cell_m)
        out = cv2.remap(lattice, x, y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        return np.asarray(out, np.float32)

    def _road(self, o: Ortho, axis: int, road: Line, across: list[Line], bbox: tuple[float, ...]) -> None:
        e0, n0, e1, n1 = bbox

        def band(lo: float, hi: float, material: Material) -> None:
            if axis == 0:
                o.rect(lo, n0, hi, n1, material)
            else:
                o.rect(e0, lo, e1, hi, material)

        band(road.lo_m, road.hi_m, Material.ASPHALT)
        if road.major:
            band(road.centre_m - MEDIAN_M / 2, road.centre_m + MEDIAN_M / 2, Material.GRASS)
            offsets = [s * (MEDIAN_M / 2 + LANE_M * i) for s in (-1, 1) for i in range(1, 5)]
        else:
            offsets = [0.0]
        along0, along1 = (n0, n1) if axis == 0 else (e0, e1)
        starts = (
            np.arange(math.floor(along0 / DASH_PERIOD_M), math.ceil(along1 / DASH_PERIOD_M) + 1)
            * DASH_PERIOD_M
        )
        for s in starts:
            if any(x.lo_m - 2.0 < s + DASH_M and s < x.hi_m + 2.0 for x in across):
                continue  # no lane marks across a junction
            for off in offsets:
                c = road.centre_m + off
                if axis == 0:
                    o.rect(c - MARK_WIDTH_M / 2, s, c + MARK_WIDTH_M / 2, s + DASH_M, Material.MARK)
                else:
                    o.rect(s, c - MARK_WIDTH_M / 2, s + DASH_M, c + MARK_WIDTH_M / 2, Material.MARK)

    # -- blocks -------------------------------------------------------------------------------

    def _block(self, o: Ortho, i: int, j: int, rect: tuple[float, float, float, float]) -> None:
        """Block (i, j) between its roads: a sidewalk with street trees round a lot of one kind."""
        x0, y0, x1, y1 = rect
        o.rect(x0, y0, x1, y1, Material.PAVING)
        lot = (x0 + SIDEWALK_M, y0 + SIDEWALK_M, x1 - SIDEWALK_M, y1 - SIDEWALK_M)
        o.rect(*lot, Material.GRASS)
        kind = _h(self.seed, i, j, 2)
        if kind < 0.34:
            self._residential(o, i, j, lot)
        elif kind < 0.48:
            self._offices(o, i, j, lot)
        elif kind < 0.62:
            self._park(o, i, j, lot)
        elif kind < 0.80:
            self._fields(o, i, j, lot)
        elif kind < 0.88:
            self._site(o, i, j, lot)
        else:
            self._sheds(o, i, j, lot)
        for t in np.arange(x0 + 4.0, x1 - 2.0, 8.0):  # street trees, every 8 m
            o.disc(float(t), y0 + SIDEWALK_M / 2, 2.0, Material.TREE)
            o.disc(float(t), y1 - SIDEWALK_M / 2, 2.0, Material.TREE)
        for t in np.arange(y0 + 8.0, y1 - 6.0, 8.0):
            o.disc(x0 + SIDEWALK_M / 2, float(t), 2.0, Material.TREE)
            o.disc(x1 - SIDEWALK_M / 2, float(t), 2.0, Material.TREE)

    def _trees(
        self, o: Ortho, lot: tuple[float, float, float, float], cell_m: float, p: float, tag: int
    ) -> None:
        """Trees on the world's tree lattice inside ``lot`` (present with probability ``p``)."""
        x0, y0, x1, y1 = lot
        grid_i, grid_j = np.meshgrid(
            np.arange(math.ceil(x0 / cell_m), math.floor(x1 / cell_m)),
            np.arange(math.ceil(y0 / cell_m), math.floor(y1 / cell_m)),
        )
        ii, jj = grid_i.ravel(), grid_j.ravel()
        keep = hash01(self.seed, ii, jj, 10 + tag) < p
        ii, jj = ii[keep], jj[keep]
        e = (ii + hash01(self.seed, ii, jj, 11)) * cell_m
        n = (jj + hash01(self.seed, ii, jj, 12)) * cell_m
        r = 1.6 + 1.6 * hash01(self.seed, ii, jj, 13)
        view_e0, view_n1 = o.east0_m, o.north1_m
        view_e1 = view_e0 + o.ids.shape[1] * o.res_m
        view_n0 = view_n1 - o.ids.shape[0] * o.res_m
        inside = (e + r > view_e0) & (e - r < view_e1) & (n + r > view_n0) & (n - r < view_n1)
        for te, tn, tr in zip(e[inside], n[inside], r[inside], strict=True):
            o.disc(float(te), float(tn), float(tr), Material.TREE)

    def _residential(self, o: Ortho, i: int, j: int, lot: tuple[float, float, float, float]) -> None:
        """Rows of east-west slabs (Chinese housing faces south), lawns and trees between."""
        x0, y0, x1, y1 = lot
        o.rect((x0 + x1) / 2 - 2.0, y0, (x0 + x1) / 2 + 2.0, y1, Material.PAVING)
        self._trees(o, lot, 9.0, 0.3, 0)
        roof = ROOFS[int(_h(self.seed, i, j, 3) * 3)]
        length = 40.0 + 25.0 * _h(self.seed, i, j, 4)
        pitch = 34.0 + 8.0 * _h(self.seed, i, j, 5)
        for half in ((x0 + 8.0, (x0 + x1) / 2 - 8.0), ((x0 + x1) / 2 + 8.0, x1 - 8.0)):
            count = max(int((half[1] - half[0] + 12.0) // (length + 12.0)), 1)
            span = (half[1] - half[0] - (count - 1) * 12.0) / count
            for c in range(count):
                bx = half[0] + c * (span + 12.0)
                for y in np.arange(y0 + 10.0, y1 - 22.0, pitch):
                    o.rect(bx, float(y), bx + span, float(y) + 13.0, roof)

    def _offices(self, o: Ortho, i: int, j: int, lot: tuple[float, float, float, float]) -> None:
        """A car park with tree rows and two to four office blocks."""
        x0, y0, x1, y1 = lot
        o.rect(x0, y0, x1, y1, Material.PARKING)
        for y in np.arange(y0 + 18.0, y1 - 4.0, 20.0):
            o.rect(x0, float(y), x1, float(y) + 3.0, Material.GRASS)
            for x in np.arange(x0 + 3.0, x1 - 3.0, 9.0):
                o.disc(float(x), float(y) + 1.5, 2.2, Material.TREE)
        n = 2 + int(3 * _h(self.seed, i, j, 6))
        for b in range(n):
            w = 30.0 + 40.0 * _h(self.seed, i, j, 20 + b)
            d = 25.0 + 30.0 * _h(self.seed, i, j, 30 + b)
            bx = x0 + 6.0 + (x1 - x0 - w - 12.0) * _h(self.seed, i, j, 40 + b)
            by = y0 + 6.0 + (y1 - y0 - 12.0) * b / n
            d = min(d, (y1 - y0 - 12.0) / n - 8.0)
            o.rect(bx, by, bx + w, by + d, (Material.ROOF_LIGHT, Material.ROOF_BLUE)[b % 2])

    def _park(self, o: Ortho, i: int, j: int, lot: tuple[float, float, float, float]) -> None:
        """Lawns, many trees, a pond in half of them, a path across."""
        x0, y0, x1, y1 = lot
        self._trees(o, lot, 6.0, 0.45, 1)
        if _h(self.seed, i, j, 7) < 0.5:
            cx = x0 + (x1 - x0) * (0.3 + 0.4 * _h(self.seed, i, j, 8))
            cy = y0 + (y1 - y0) * (0.3 + 0.4 * _h(self.seed, i, j, 9))
            axes = ((x1 - x0) * 0.18 / o.res_m, (y1 - y0) * 0.14 / o.res_m)
            centre = o.px(cx, cy)
            cv2.ellipse(
                o.ids,
                centre,
                (round(axes[0] * 16), round(axes[1] * 16)),
                20.0,
                0,
                360,
                int(Material.WATER),
                -1,
                cv2.LINE_8,
                4,
            )
        mid = y0 + (y1 - y0) * (0.3 + 0.4 * _h(self.seed, i, j, 11))
        o.rect(x0, mid - 1.5, x1, mid + 1.5, Material.PAVING)

    def _fields(self, o: Ortho, i: int, j: int, lot: tuple[float, float, float, float]) -> None:
        """Strips of crops with earth tracks between, east-west or north-south."""
        x0, y0, x1, y1 = lot
        o.rect(x0, y0, x1, y1, Material.SOIL)
        along_x = _h(self.seed, i, j, 10) < 0.5
        lo, hi = (y0, y1) if along_x else (x0, x1)
        pos, k = lo, 0
        while pos < hi:
            width = 12.0 + 20.0 * _h(self.seed, i, j, 50 + k)
            crop = CROPS[int(3 * _h(self.seed, i, j, 90 + k))]
            end = min(pos + width, hi)
            if along_x:
                o.rect(x0, pos, x1, end, crop)
            else:
                o.rect(pos, y0, end, y1, crop)
            pos, k = end + 1.5, k + 1

    def _site(self, o: Ortho, i: int, j: int, lot: tuple[float, float, float, float]) -> None:
        """A building site: bare earth, site huts, a slab going up."""
        x0, y0, x1, y1 = lot
        o.rect(x0, y0, x1, y1, Material.SOIL)
        o.rect(x0 + 10.0, y0 + 10.0, x0 + 40.0, y0 + 16.0, Material.ROOF_BLUE)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        o.rect(cx - 30.0, cy - 12.0, cx + 30.0, cy + 12.0, Material.ROOF_DARK)

    def _sheds(self, o: Ortho, i: int, j: int, lot: tuple[float, float, float, float]) -> None:
        """Warehouses with blue steel roofs on a paved yard."""
        x0, y0, x1, y1 = lot
        o.rect(x0, y0, x1, y1, Material.PARKING)
        depth = (y1 - y0 - 30.0) / 2
        for k, y in enumerate((y0 + 10.0, y0 + 20.0 + depth)):
            o.rect(
                x0 + 10.0, y, x1 - 10.0 - 30.0 * _h(self.seed, i, j, 60 + k), y + depth, Material.ROOF_BLUE
            )
