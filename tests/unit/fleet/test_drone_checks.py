"""Pure checks of flight commands: bad input is refused with InvalidCommand before anything is sent."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from fleet.drone_model import Height, Waypoint
from fleet.errors import InvalidCommand
from fleet.flight_checks import check_height, check_orbit, check_param_name, check_point, check_waypoints
from fleet.flight_settings import AllowedArea, FlightSettings

BBOX = FlightSettings(allowed_area=AllowedArea(bbox_lon_lat=(113.6, 34.7, 113.9, 34.9)), ceiling_m=120)
TRIANGLE = FlightSettings(
    allowed_area=AllowedArea(polygon_lon_lat=((113.6, 34.7), (113.9, 34.7), (113.6, 34.9)))
)


@pytest.mark.parametrize("lat, lon", [(math.nan, 113.7), (34.8, math.inf), (91.0, 113.7), (34.8, -181.0)])
def test_non_finite_or_out_of_range_points_are_refused(lat: float, lon: float) -> None:
    with pytest.raises(InvalidCommand, match="goto"):
        check_point("d1", "goto", lat, lon, FlightSettings())


def test_point_outside_the_bbox_is_refused_and_inside_accepted() -> None:
    check_point("d1", "goto", 34.8, 113.7, BBOX)
    with pytest.raises(InvalidCommand, match="outside the allowed area"):
        check_point("d1", "goto", 34.8, 114.2, BBOX)


def test_polygon_area_uses_the_shape_not_its_bounding_box() -> None:
    check_point("d1", "goto", 34.72, 113.65, TRIANGLE)
    # Inside the triangle's bounding box, but beyond its hypotenuse.
    with pytest.raises(InvalidCommand, match="outside the allowed area"):
        check_point("d1", "goto", 34.88, 113.88, TRIANGLE)


def test_heights_above_the_ceiling_or_below_the_minimum_are_refused() -> None:
    settings = FlightSettings(ceiling_m=100, min_height_m=5)
    assert check_height("d1", "goto", Height.above_home(100), None, settings) == 100
    with pytest.raises(InvalidCommand, match="above the ceiling"):
        check_height("d1", "goto", Height.above_home(100.5), None, settings)
    with pytest.raises(InvalidCommand, match="below the minimum"):
        check_height("d1", "goto", Height.above_home(4), None, settings)
    with pytest.raises(InvalidCommand, match="finite"):
        check_height("d1", "goto", Height.above_home(math.nan), None, settings)


def test_amsl_heights_are_checked_against_home() -> None:
    settings = FlightSettings(ceiling_m=120)
    home_amsl_m = 95.0
    assert check_height("d1", "goto", Height.amsl(195.0), home_amsl_m, settings) == pytest.approx(100.0)
    with pytest.raises(InvalidCommand, match="above the ceiling"):
        check_height("d1", "goto", Height.amsl(216.0), home_amsl_m, settings)
    with pytest.raises(InvalidCommand, match="home altitude"):
        check_height("d1", "goto", Height.amsl(150.0), None, settings)


def test_height_conversions_between_references() -> None:
    assert Height.above_home(30).amsl_alt_m(100.0) == 130.0
    assert Height.amsl(130).rel_alt_m(100.0) == 30.0
    assert Height.amsl(130).amsl_alt_m(100.0) == 130.0


@pytest.mark.parametrize(
    "radius_m, speed_mps", [(0.0, 5.0), (-10.0, 5.0), (50.0, 0.0), (50.0, math.nan), (5000, 5)]
)
def test_bad_orbits_are_refused(radius_m: float, speed_mps: float) -> None:
    with pytest.raises(InvalidCommand):
        check_orbit("d1", radius_m, speed_mps, FlightSettings())


def test_mission_waypoints_are_checked_one_by_one() -> None:
    good = Waypoint(34.8, 113.7, Height.above_home(50))
    assert check_waypoints("d1", (good, good), None, BBOX) == [50, 50]
    with pytest.raises(InvalidCommand, match=r"upload_mission\[1\].*outside"):
        check_waypoints("d1", (good, Waypoint(34.8, 115.0, Height.above_home(50))), None, BBOX)
    with pytest.raises(InvalidCommand, match="at least one"):
        check_waypoints("d1", (), None, BBOX)
    with pytest.raises(InvalidCommand, match="loiter_s"):
        check_waypoints("d1", (Waypoint(34.8, 113.7, Height.above_home(50), loiter_s=-1),), None, BBOX)


@pytest.mark.parametrize("name", ["", "A_NAME_LONGER_THAN_16", "MIS\x00ALT", "温度"])
def test_bad_param_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidCommand):
        check_param_name("d1", "get_param", name)


def test_settings_refuse_unsafe_or_malformed_values() -> None:
    with pytest.raises(ValidationError):
        AllowedArea(bbox_lon_lat=(113.9, 34.7, 113.6, 34.9))
    with pytest.raises(ValidationError):
        AllowedArea()
    with pytest.raises(ValidationError):
        AllowedArea(polygon_lon_lat=((0.0, 0.0), (1.0, 1.0)))
    with pytest.raises(ValidationError):
        FlightSettings(ceiling_m=10, min_height_m=20)
    assert FlightSettings(max_drones=16).pool_size == 64
