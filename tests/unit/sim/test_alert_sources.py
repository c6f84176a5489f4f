"""The city's platforms in the sim: when they raise an alert, for what, where, and only once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from geo.crs import gcj02_to_wgs84
from mission.alerts import parse_alert
from mission.settings import load_settings
from payload.georef import offset_to_wgs84, wgs84_to_offset
from sim.alert_sources import Lake, SmartWaterPlatform, VideoAiCentre, platform_position, ring_from_offsets
from sim.incidents import Incident, IncidentKind

LON0, LAT0 = 113.824, 34.786


def at(east_m: float, north_m: float) -> tuple[float, float]:
    lon, lat = offset_to_wgs84(LON0, LAT0, north_m, east_m)
    return float(lon), float(lat)


def square_lake() -> Lake:
    """Water from 0 to 100 m east and north of the origin."""
    return Lake("test lake", ring_from_offsets(LON0, LAT0, [(0, 0), (100, 0), (100, 100), (0, 100)]))


def test_the_video_centre_raises_after_its_review_once_per_incident() -> None:
    fire = Incident("f1", IncidentKind.FIRE, *at(0, 0), start_s=100.0)
    centre = VideoAiCentre(review_s=45.0, crs="wgs84")
    assert centre.poll([fire], 144.0) == []
    (alert,) = centre.poll([fire], 145.0)
    assert alert.type == "fire_smoke" and alert.topic == "alerts/video_ai"
    assert (alert.lon, alert.lat) == (fire.lon_deg, fire.lat_deg)
    assert centre.poll([fire], 200.0) == []


def test_the_video_centre_reports_what_its_cameras_see_and_nothing_else() -> None:
    incidents = [
        Incident("c", IncidentKind.CROWD, *at(0, 0), size_m=10.0, count=20),
        Incident("s", IncidentKind.STALLS, *at(50, 0), size_m=8.0, count=3),
        Incident("r", IncidentKind.STALLS, *at(90, 0), size_m=8.0, count=3),
        Incident("d", IncidentKind.DECOY, *at(0, 50)),
        Incident("p", IncidentKind.PERSON, *at(0, 90)),
        Incident("gone", IncidentKind.FIRE, *at(9, 9), end_s=10.0),
    ]
    centre = VideoAiCentre(review_s=0.0, reported_as={"r": "road_occupation"})
    types = {a.incident_id: a.type for a in centre.poll(incidents, 60.0)}
    assert types == {"c": "crowd", "s": "street_vendor", "r": "road_occupation"}


def test_the_water_platform_raises_for_a_person_at_the_shore_in_gcj02() -> None:
    platform = SmartWaterPlatform([square_lake()], shore_m=15.0, review_s=5.0)
    near = Incident("near", IncidentKind.PERSON, *at(-10, 50), start_s=0.0)
    far = Incident("far", IncidentKind.PERSON, *at(-40, 50), start_s=0.0)
    crowd = Incident("crowd", IncidentKind.CROWD, *at(-5, 50), size_m=5.0, count=5)
    assert platform.poll([near, far, crowd], 4.0) == []
    (alert,) = platform.poll([near, far, crowd], 5.0)
    assert alert.incident_id == "near" and alert.type == "person_near_water" and alert.crs == "gcj02"
    lon, lat = gcj02_to_wgs84(alert.lon, alert.lat)
    north, east = wgs84_to_offset(near.lon_deg, near.lat_deg, lon, lat)
    assert abs(float(north)) < 0.5 and abs(float(east)) < 0.5
    assert platform.poll([near, far, crowd], 10.0) == []


def test_shore_distance() -> None:
    lake = square_lake()
    assert lake.shore_distance_m(*at(50, 50)) == 0.0
    assert lake.shore_distance_m(*at(-20, 50)) == pytest.approx(20.0, abs=0.1)
    assert lake.shore_distance_m(*at(130, 140)) == pytest.approx(50.0, abs=0.1)


def test_the_wire_format_is_what_mission_control_parses() -> None:
    fire = Incident("f1", IncidentKind.FIRE, *at(0, 0))
    (alert,) = VideoAiCentre(review_s=0.0).poll([fire], 1.0)
    now = datetime.now(UTC)
    parsed = parse_alert(alert.to_wire(now.timestamp() - 2.0), "video_ai", load_settings().alerts, now)
    assert parsed.external_id == "video_ai-f1" and parsed.type == "fire_smoke"
    assert parsed.occurred_at is not None and abs((now - parsed.occurred_at).total_seconds() - 2.0) < 0.01
    north, east = wgs84_to_offset(fire.lon_deg, fire.lat_deg, parsed.lon_deg, parsed.lat_deg)
    assert abs(float(north)) < 0.5 and abs(float(east)) < 0.5


def test_platforms_speak_wgs84_or_gcj02_only() -> None:
    assert platform_position(LON0, LAT0, "wgs84") == (LON0, LAT0)
    with pytest.raises(ValueError, match="bd09"):
        platform_position(LON0, LAT0, "bd09")
