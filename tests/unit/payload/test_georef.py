"""Georeferencing against hand-computed cases (reference/payload.md §5) and round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest

from payload.georef import (
    BelowHorizonError,
    footprint_area_m2,
    gsd_m,
    offset_to_wgs84,
    pixel_to_ground,
    pixel_to_ned,
    uncertainty_m,
    wgs84_to_offset,
    wgs84_to_pixel,
)
from payload.model import AttitudeErrors, CameraModel, CameraPose

CAM = CameraModel(1920, 1080, 70.0)
LON0, LAT0 = 121.4737, 31.2304


def pose(
    heading: float = 0.0, pitch: float = -90.0, agl: float = 100.0, gimbal_yaw: float = 0.0
) -> CameraPose:
    return CameraPose(LON0, LAT0, agl, heading_deg=heading, pitch_deg=pitch, gimbal_yaw_deg=gimbal_yaw)


def test_focal_length_and_vfov_by_hand() -> None:
    assert CAM.f_px == pytest.approx(960 / math.tan(math.radians(35)))
    assert CAM.vfov_deg == pytest.approx(43.00, abs=0.01)


def test_nadir_centre_is_below_the_drone_and_edges_follow_the_fov() -> None:
    n, e = pixel_to_ned(CAM, pose(), 960.0, 540.0)
    assert (float(n), float(e)) == pytest.approx((0.0, 0.0), abs=1e-9)
    # right edge at nadir, heading 0: 100 m * tan(35°) east
    n, e = pixel_to_ned(CAM, pose(), 1920.0, 540.0)
    assert float(e) == pytest.approx(100 * math.tan(math.radians(35)))
    assert float(n) == pytest.approx(0.0, abs=1e-9)
    # top edge at nadir is north
    n, _ = pixel_to_ned(CAM, pose(), 960.0, 0.0)
    assert float(n) == pytest.approx(540 / CAM.f_px * 100)


@pytest.mark.parametrize(
    ("heading", "north_sign", "east_sign"),
    [(0.0, 1, 0), (90.0, 0, 1), (225.0, -1, -1)],
)
def test_oblique_centre_lies_along_the_heading(heading: float, north_sign: int, east_sign: int) -> None:
    # pitch -30°: centre ray hits at 100 / tan(30°) = 173.2 m along the azimuth
    n, e = pixel_to_ned(CAM, pose(heading=heading, pitch=-30.0), 960.0, 540.0)
    dist = 100.0 / math.tan(math.radians(30.0))
    assert math.hypot(float(n), float(e)) == pytest.approx(dist)
    az = math.radians(heading)
    assert float(n) == pytest.approx(dist * math.cos(az), abs=1e-6)
    assert float(e) == pytest.approx(dist * math.sin(az), abs=1e-6)
    assert np.sign(round(float(n), 6)) == north_sign and np.sign(round(float(e), 6)) == east_sign


def test_heading_90_turns_image_right_to_south() -> None:
    # nadir, heading 90: image right points to the drone's right = south
    n, e = pixel_to_ned(CAM, pose(heading=90.0), 1920.0, 540.0)
    assert float(n) == pytest.approx(-100 * math.tan(math.radians(35)))
    assert float(e) == pytest.approx(0.0, abs=1e-9)


def test_gimbal_yaw_adds_to_heading() -> None:
    a = pixel_to_ned(CAM, pose(heading=45.0, pitch=-45.0), 100.0, 900.0)
    b = pixel_to_ned(CAM, pose(heading=15.0, pitch=-45.0, gimbal_yaw=30.0), 100.0, 900.0)
    assert np.allclose(a, b)


def test_worked_example_of_the_reference_table() -> None:
    p = pose(heading=45.0, pitch=-45.0)
    expected = {  # pixel: (N, E, slant, lat, lon, gsd across cm, gsd along cm)
        (960, 540): (70.71, 70.71, 141.42, 31.2310378, 121.4744422, 10.3, 14.6),
        (960, 1079): (30.80, 30.80, 109.08, 31.2306778, 121.4740233, 7.4, 7.5),
        (960, 0): (162.61, 162.61, 250.76, 31.2318666, 121.4754068, 17.0, 39.7),
        (0, 1079): (81.06, -19.46, 130.19, 31.2311311, 121.4734958, 7.4, 8.4),
        (1500, 300): (52.98, 148.46, 186.68, 31.2308778, 121.4752583, 12.5, 22.2),
    }
    for (u, v), (n, e, slant, lat, lon, across, along) in expected.items():
        g = pixel_to_ground(CAM, p, u, v)
        assert (g.north_m, g.east_m, g.slant_range_m) == pytest.approx((n, e, slant), abs=0.01)
        assert (g.lat_deg, g.lon_deg) == pytest.approx((lat, lon), abs=1e-7)
        got = gsd_m(CAM, p, u, v)
        assert (got[0] * 100, got[1] * 100) == pytest.approx((across, along), abs=0.06)


def test_hand_check_of_the_target_pixel_intermediates() -> None:
    # x = 0.3939, y = -0.1751, D = 0.5833, fwd = 142.44, right = 67.52 (reference §5.4)
    x = (1500 - 960) / CAM.f_px
    y = (300 - 540) / CAM.f_px
    theta = math.radians(-45.0)
    d = y * math.cos(theta) - math.sin(theta)
    fwd = 100 * (math.cos(theta) + y * math.sin(theta)) / d
    right = 100 * x / d
    assert (x, y, d, fwd, right) == pytest.approx((0.3939, -0.1751, 0.5833, 142.44, 67.52), abs=0.005)
    n, e = pixel_to_ned(CAM, pose(heading=45.0, pitch=-45.0), 1500.0, 300.0)
    psi = math.radians(45.0)
    assert float(n) == pytest.approx(fwd * math.cos(psi) - right * math.sin(psi), abs=0.01)
    assert float(e) == pytest.approx(fwd * math.sin(psi) + right * math.cos(psi), abs=0.01)


def test_nadir_gsd_closed_form() -> None:
    across, along = gsd_m(CAM, pose())
    expected = 2 * 100 * math.tan(math.radians(35)) / 1920
    assert across == pytest.approx(expected) and along == pytest.approx(expected)
    ir = CameraModel.from_sensor(640, 512, 13.5, 12.0)
    assert gsd_m(ir, pose(agl=60.0))[0] == pytest.approx(60 * 12e-6 / 13.5e-3, rel=1e-3)


@pytest.mark.parametrize("heading", [0.0, 90.0, 225.0])
@pytest.mark.parametrize("pitch", [-90.0, -60.0, -30.0])
def test_round_trip_pixel_ground_pixel(heading: float, pitch: float) -> None:
    p = pose(heading=heading, pitch=pitch)
    rng = np.random.default_rng(5)
    for u, v in rng.uniform((0, 300), (1920, 1080), size=(20, 2)):
        g = pixel_to_ground(CAM, p, float(u), float(v))
        u2, v2 = wgs84_to_pixel(CAM, p, g.lon_deg, g.lat_deg)
        assert (float(u2), float(v2)) == pytest.approx((u, v), abs=1e-4)


def test_wgs84_offsets_round_trip() -> None:
    lon, lat = offset_to_wgs84(LON0, LAT0, np.array([120.0, -35.5]), np.array([-80.0, 410.0]))
    n, e = wgs84_to_offset(LON0, LAT0, lon, lat)
    assert np.allclose(n, [120.0, -35.5], atol=1e-6) and np.allclose(e, [-80.0, 410.0], atol=1e-6)


def test_above_horizon_has_no_ground_point() -> None:
    with pytest.raises(BelowHorizonError):
        pixel_to_ground(CAM, pose(pitch=-10.0), 960.0, 0.0)
    assert math.isinf(footprint_area_m2(CAM, pose(pitch=-10.0)))


def test_uncertainty_grows_with_obliquity_and_matches_the_error_budget() -> None:
    only_pitch = AttitudeErrors(pitch_deg=1.0, yaw_deg=0.0, roll_deg=0.0, agl_m=0.0, gnss_m=0.0)
    # 1° of pitch at -45°, 100 m: h / sin²θ per radian = 3.5 m (reference §5.5)
    unc = uncertainty_m(CAM, pose(pitch=-45.0), 960.0, 540.0, only_pitch)
    assert unc == pytest.approx(3.5, abs=0.1)
    unc_nadir = uncertainty_m(CAM, pose(), 960.0, 540.0, only_pitch)
    assert unc_nadir == pytest.approx(1.75, abs=0.05)
    assert uncertainty_m(CAM, pose(pitch=-30.0), 960.0, 540.0) > uncertainty_m(CAM, pose(), 960.0, 540.0)


def test_nadir_footprint_area() -> None:
    w = 2 * 100 * math.tan(math.radians(35))
    assert footprint_area_m2(CAM, pose()) == pytest.approx(w * w * 1080 / 1920)
