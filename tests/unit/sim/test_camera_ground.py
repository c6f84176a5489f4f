"""The district's ground between the scenes: a function of the world position (the same place looks
the same from every pass, so motion shows and frames register), a calm night's temperatures, sky
above the horizon; and the scene cameras switch between the scenes and the ground."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from payload.alignment import FrameAligner, to_grey
from payload.detectors.fire_smoke import fire_colour_mask
from payload.georef import gsd_m, offset_to_wgs84
from payload.model import CameraModel, CameraPose, FrameKind
from sim.camera import CameraRenderer, District, GroundRenderer, RenderedFrameSource
from sim.camera.district import Material, Ortho
from sim.camera.renderer import SKY_BGR, SKY_C
from sim.scenarios import LONG_LAKE, PLACES
from sim.scene_cameras import SceneFrameSource

RGB = CameraModel(1280, 720, 70.0)
IR = CameraModel(640, 512, 31.8)
#: Between Long Lake and the east station, over none of the scenes.
HERE = (113.790, 34.790)
GROUND = GroundRenderer()


def pose_at(east_m: float, north_m: float, agl_m: float = 100.0, **kw: float) -> CameraPose:
    lon, lat = offset_to_wgs84(HERE[0], HERE[1], north_m, east_m)
    return CameraPose(float(lon), float(lat), agl_m, **kw)


def test_the_ground_depends_on_the_world_position_only() -> None:
    district = District()
    a = district.ortho(1000.0, 2000.0, 1120.0, 2080.0, 0.1)
    b = district.ortho(1043.3, 2021.7, 1180.0, 2100.0, 0.1)  # overlaps a, other origin
    top, left = min(a.north1_m, b.north1_m), max(a.east0_m, b.east0_m)
    ar, br = round((a.north1_m - top) / 0.1), round((b.north1_m - top) / 0.1)
    ac, bc = round((left - a.east0_m) / 0.1), round((left - b.east0_m) / 0.1)
    h = min(a.ids.shape[0] - ar, b.ids.shape[0] - br)
    w = min(a.ids.shape[1] - ac, b.ids.shape[1] - bc)
    assert h > 400 and w > 600
    in_a, in_b = (slice(ar, ar + h), slice(ac, ac + w)), (slice(br, br + h), slice(bc, bc + w))
    assert np.array_equal(a.ids[in_a], b.ids[in_b])
    # the texture of the same world points, asked through either raster
    rng = np.random.default_rng(1)
    east, north = rng.uniform(1044.0, 1119.0, 500), rng.uniform(2022.0, 2079.0, 500)

    def texture(o: Ortho) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        col = ((east - o.east0_m) / 0.1 - 0.5).astype(np.float32).reshape(1, -1)
        row = ((o.north1_m - north) / 0.1 - 0.5).astype(np.float32).reshape(1, -1)
        return district.texture(o, col, row)

    (noise_a, amp_a), (noise_b, amp_b) = texture(a), texture(b)
    assert float(np.abs(noise_a - noise_b).mean()) < 0.01 and float(noise_a.std()) > 0.2
    assert float(np.mean(amp_a != amp_b)) < 0.01  # the material (nearest pixel) save on its edges
    assert len(np.unique(a.ids)) >= 4  # roads, marks, sidewalks and a block's content at least
    assert District(seed=12).ortho(1000.0, 2000.0, 1120.0, 2080.0, 0.1).ids.tolist() != a.ids.tolist()


def test_frames_move_with_the_drone_and_register() -> None:
    ground = GroundRenderer()
    first = ground.render_rgb(RGB, pose_at(0.0, 0.0), 10.0)
    again = ground.render_rgb(RGB, pose_at(0.0, 0.0), 10.5)
    assert float(np.abs(first.astype(float) - again).mean()) < 3.0  # sensor noise only
    moved = ground.render_rgb(RGB, pose_at(0.0, 10.0), 11.0)  # 10 m north, heading north
    assert float(np.abs(first.astype(float) - moved).mean()) > 5.0
    h = FrameAligner(to_grey(first)).homography(to_grey(moved))
    assert h is not None
    shift_px = 10.0 / gsd_m(RGB, pose_at(0.0, 0.0))[1]
    # the ground slid down the image by 10 m: moved's pixel (u, v) shows first's (u, v - shift)
    assert h[0, 2] == pytest.approx(0.0, abs=1.5)
    assert h[1, 2] == pytest.approx(-shift_px, abs=1.5)


def test_colours_and_temperatures_of_a_calm_night() -> None:
    ground = GroundRenderer()
    for east, north in ((0.0, 0.0), (830.0, -260.0), (-1500.0, 2200.0), (3100.0, 900.0)):
        rgb = ground.render_rgb(RGB, pose_at(east, north, 120.0), 0.0)
        assert not fire_colour_mask(rgb).any()
        temp = ground.render_thermal(IR, pose_at(east, north, 120.0), 0.0)
        assert float(temp.min()) > 7.0 and float(temp.max()) < 21.0
    o = District().ortho(-600.0, -600.0, 600.0, 600.0, 0.4)
    t = o.temperature()  # the materials' own, before texture
    mean = {m: float(t[o.ids == m].mean()) for m in (Material.ASPHALT, Material.GRASS, Material.WATER)}
    assert mean[Material.ASPHALT] > mean[Material.GRASS] + 3.0 > mean[Material.WATER] + 3.0


def test_sky_above_the_horizon_and_haze_far_off() -> None:
    ground = GroundRenderer(max_range_m=400.0)
    rgb = ground.render_rgb(RGB, pose_at(0.0, 0.0, pitch_deg=-8.0), 0.0)
    assert np.abs(rgb[:40].astype(float) - SKY_BGR).max() < 12.0
    bottom = rgb[-100:].astype(float)
    assert bottom.std() > 5.0  # the near ground has texture
    temp = ground.render_thermal(IR, pose_at(0.0, 0.0, pitch_deg=-5.0), 0.0)
    assert abs(float(temp[:20].mean()) - SKY_C) < 1.0


class Clock:
    def __init__(self, t_s: float = 100.0) -> None:
        self.t_s = t_s

    def __call__(self) -> float:
        return self.t_s


def test_scene_cameras_switch_between_the_scenes_and_the_ground() -> None:
    places = {name: (p, CameraRenderer(p.scene())) for name, p in PLACES.items()}
    clock, wall = Clock(), Clock(0.0)
    pose: list[CameraPose | None] = [None]

    def source(ground: GroundRenderer | None = GROUND, interval_s: float = 0.0) -> SceneFrameSource:
        return SceneFrameSource(
            places, FrameKind.RGB, RGB, lambda _t: pose[0], clock, ground, interval_s, wall
        )

    cam = source()
    assert cam.read() is None  # on the ground
    scene_only = RenderedFrameSource(places["longhu"][1], FrameKind.RGB, RGB, lambda _t: pose[0], clock)
    # across the scene's edge (150 m from its origin), from the district into the scene and out again
    for east_m in (-400.0, -160.0, -149.0, 0.0, 149.0, 151.0, 400.0):
        clock.t_s += 0.5
        lon, lat = LONG_LAKE.at(east_m, 20.0)
        here = pose[0] = CameraPose(lon, lat, 100.0, heading_deg=90.0)
        frame = cam.read()
        assert frame is not None and frame.image.shape == (720, 1280, 3) and frame.pose == here
        if abs(east_m) <= 150.0:  # the scene, exactly as its own renderer draws it
            expected = scene_only.read()
            assert expected is not None and np.array_equal(frame.image, expected.image)
        else:
            assert np.array_equal(frame.image, GroundRenderer().render_rgb(RGB, here, clock.t_s))
    assert source(ground=None).read() is None  # the old behaviour: nothing between the scenes

    # a frame rate in wall seconds: within the interval the newest frame again (the same object)
    capped = source(interval_s=0.25)
    first = capped.read()
    clock.t_s += 1.0
    wall.t_s += 0.1
    assert capped.read() is first
    wall.t_s += 0.2
    second = capped.read()
    assert second is not None and second is not first and second.t_s == clock.t_s
    capped.close()
    assert capped.read() is None


def test_scene_camera_clips_over_a_scene_and_over_the_ground() -> None:
    """Over a scene each frame of a clip is the scene at its own time and pose; over the ground only
    the newest (the ground holds no incident to follow)."""
    places = {name: (p, CameraRenderer(p.scene())) for name, p in PLACES.items()}
    clock = Clock(50.0)
    east = [0.0]

    def pose_at(t_s: float) -> CameraPose:  # 10 m/s eastwards, at ``east`` at t = 50 s
        return CameraPose(*LONG_LAKE.at(east[0] + 10.0 * (t_s - 50.0), 20.0), 100.0, heading_deg=90.0)

    cam = SceneFrameSource(places, FrameKind.RGB, RGB, pose_at, clock, GROUND, 0.0, Clock(0.0))
    takes = cam.clip([49.0, 49.5, 50.0])
    frames = [take() for take in takes]
    assert [f.t_s for f in frames if f is not None] == [49.0, 49.5, 50.0]
    scene_only = RenderedFrameSource(places["longhu"][1], FrameKind.RGB, RGB, pose_at, lambda: 49.5)
    expected = scene_only.read()
    assert frames[1] is not None and expected is not None and np.array_equal(frames[1].image, expected.image)
    east[0] = 400.0  # over the district's ground
    over_ground = [take() for take in cam.clip([49.0, 49.5, 50.0])]
    assert over_ground[:2] == [None, None] and over_ground[2] is not None and over_ground[2].t_s == 50.0
