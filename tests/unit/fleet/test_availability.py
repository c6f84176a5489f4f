"""Availability with reasons: one test per gate, plus how the gates combine."""

from __future__ import annotations

import math

import pytest

from docks.charging import FULL_PCT
from fleet.availability import (
    GateLimits,
    SortieGeometry,
    airborne_availability,
    dock_availability,
    duration_text,
    num,
)
from fleet.battery import reference_energy_pct, sortie_energy_pct, time_to_charge_s
from fleet.model import (
    CoverStatus,
    DockActivity,
    DockWeather,
    DroneState,
    FenceState,
    GeofenceStatus,
    RainLevel,
    ReasonCode,
    SortieSpec,
)
from geo.model import Wind

from .fleet_helpers import flying_drone, healthy_dock, make_registry, to_wgs84

NOW = 1000.0
LIMITS = GateLimits(stale_after_s=30.0, drone_stale_after_s=5.0, wind_margin_mps=2.0, rain_ground_level=2)
REG = make_registry()
DOCK2 = REG.dock("D01")  # dock2: launch limit 8 m/s, -25..45 °C
DOCK3 = REG.dock("D02")  # dock3: launch limit 12 m/s, -30..50 °C


def sortie(dock, dx_m: float, dy_m: float = 0.0, wind: Wind | None = None) -> SortieGeometry:
    lon, lat = to_wgs84(dock.x_m + dx_m, dock.y_m + dy_m)
    return SortieGeometry(SortieSpec(lon, lat, wind=wind), dx_m, dy_m)


def avail(dock=DOCK2, **state_changes):
    kwargs = {
        k: state_changes.pop(k)
        for k in ("sortie", "mission_id", "maintenance_note", "drone", "fence")
        if k in state_changes
    }
    state = healthy_dock(dock.dock_id, NOW - 2.0, **state_changes)
    return dock_availability(dock, state, NOW, LIMITS, **kwargs)


def test_a_healthy_dock_is_available_with_its_margin() -> None:
    a = avail()
    assert a.available and a.reasons == () and a.summary == "available"
    needed = reference_energy_pct(DOCK2.reach, DOCK2.energy)
    assert a.needed_pct == pytest.approx(needed)
    assert a.margin_pct == pytest.approx(98.0 - needed)


def test_nothing_heard_yet_is_not_available() -> None:
    a = dock_availability(DOCK2, None, NOW, LIMITS)
    assert not a.available and a.codes == (ReasonCode.UNKNOWN_STATE,)


def test_offline() -> None:
    a = avail(online=False)
    assert a.codes == (ReasonCode.OFFLINE,) and a.summary == "offline"


def test_stale_osd_after_the_stale_time() -> None:
    fresh = dock_availability(DOCK2, healthy_dock("D01", NOW - 29.0), NOW, LIMITS)
    stale = dock_availability(DOCK2, healthy_dock("D01", NOW - 42.0), NOW, LIMITS)
    assert fresh.available
    assert stale.codes == (ReasonCode.STALE,)
    assert stale.summary == "stale: no OSD for 42 s"
    assert stale.reasons[0].value == pytest.approx(42.0)


def test_restored_state_is_stale_until_live_data_confirms_it() -> None:
    a = avail(restored=True)
    assert a.codes == (ReasonCode.STALE,) and "restart" in a.summary


def test_busy_on_an_assigned_mission() -> None:
    a = avail(mission_id="M-17")
    assert a.codes == (ReasonCode.BUSY,) and a.summary == "busy: on mission M-17"


@pytest.mark.parametrize("mode", [DockActivity.PREPARING, DockActivity.WORKING, DockActivity.RETURNING])
def test_busy_while_the_dock_flies_a_sortie(mode: DockActivity) -> None:
    a = avail(activity=mode, drone_in_dock=mode is DockActivity.PREPARING)
    assert ReasonCode.BUSY in a.codes and f"busy: {mode.value}" in a.summary
    assert ReasonCode.NO_DRONE not in a.codes


def test_busy_names_the_flight_the_dock_reports() -> None:
    a = avail(activity=DockActivity.WORKING, drone_in_dock=False, flight_id="F-9")
    assert a.summary == "busy: working (flight F-9)"


def test_fresh_drone_telemetry_beats_the_osd() -> None:
    """The OSD still says idle with the drone inside, but the drone reports flying."""
    airborne = flying_drone("U01", NOW - 1.0, DOCK2.x_m, DOCK2.y_m)
    assert avail(drone=airborne).codes == (ReasonCode.BUSY,)
    # Old telemetry does not override the dock.
    old = flying_drone("U01", NOW - 60.0, DOCK2.x_m, DOCK2.y_m)
    assert avail(drone=old).available


def test_fresh_drone_battery_beats_the_osd_battery() -> None:
    drone = flying_drone("U01", NOW - 0.5, DOCK2.x_m, DOCK2.y_m, in_air=False, battery_pct=40.0)
    a = avail(drone=drone, battery_pct=98.0)
    assert a.battery_pct == 40.0 and ReasonCode.BATTERY in a.codes


def test_no_drone_in_the_dock() -> None:
    a = avail(drone_in_dock=False, battery_pct=None)
    assert a.codes == (ReasonCode.NO_DRONE,) and a.summary == "no drone in dock"


def test_wind_gate_is_the_types_limit_minus_the_gust_margin() -> None:
    allowed2 = DOCK2.spec.launch_wind_limit_mps - LIMITS.wind_margin_mps
    assert avail(weather=DockWeather(allowed2, RainLevel.NONE, 15.0)).available
    a = avail(weather=DockWeather(allowed2 + 0.5, RainLevel.NONE, 15.0))
    assert a.codes == (ReasonCode.WIND,)
    assert a.summary.startswith(f"wind {num(allowed2 + 0.5)} m/s > {num(allowed2)}")
    assert a.reasons[0].limit == allowed2
    # The same wind is fine for the sturdier dock type.
    assert dock_availability(
        DOCK3,
        healthy_dock("D02", NOW, weather=DockWeather(allowed2 + 0.5, RainLevel.NONE, 15.0)),
        NOW,
        LIMITS,
    ).available


def test_rain_at_the_grounding_level() -> None:
    assert avail(weather=DockWeather(1.0, RainLevel.LIGHT, 15.0)).available
    a = avail(weather=DockWeather(1.0, RainLevel.MODERATE, 15.0))
    assert a.codes == (ReasonCode.RAIN,) and a.summary == "rain: moderate"


def test_temperature_outside_the_types_range() -> None:
    low, high = DOCK3.spec.temperature_range_c
    cold = dock_availability(
        DOCK3, healthy_dock("D02", NOW, weather=DockWeather(1.0, RainLevel.NONE, low - 1.0)), NOW, LIMITS
    )
    assert cold.codes == (ReasonCode.TEMPERATURE,)
    assert cold.summary == f"temperature {num(low - 1.0)} °C below {num(low)}"
    hot = dock_availability(
        DOCK3, healthy_dock("D02", NOW, weather=DockWeather(1.0, RainLevel.NONE, high + 2.0)), NOW, LIMITS
    )
    assert hot.summary == f"temperature {num(high + 2.0)} °C above {num(high)}"


def test_a_missing_weather_reading_blocks() -> None:
    a = avail(weather=DockWeather(None, RainLevel.NONE, 15.0))
    assert a.codes == (ReasonCode.WIND,) and "no reading" in a.summary


def test_faults() -> None:
    a = avail(cover=CoverStatus.FAULT)
    assert a.codes == (ReasonCode.FAULT,) and a.summary == "fault: cover"
    b = avail(activity=DockActivity.FAULT, faults=("charger", "power"))
    assert b.summary == "fault: charger; fault: power"
    assert avail(activity=DockActivity.FAULT).summary == "fault: dock"


def test_maintenance_by_the_dock_or_the_operator() -> None:
    assert avail(activity=DockActivity.MAINTENANCE).summary == "maintenance"
    a = avail(maintenance_note="propeller swap")
    assert a.codes == (ReasonCode.MAINTENANCE,) and a.summary == "maintenance: propeller swap"


def test_battery_too_low_for_the_mission() -> None:
    s = sortie(DOCK2, 2500.0)
    needed = sortie_energy_pct(2500.0, 0.0, DOCK2.reach, DOCK2.energy)
    a = avail(battery_pct=35.0, sortie=s)
    assert a.codes == (ReasonCode.BATTERY,)
    assert a.summary == f"battery 35 % < {math.ceil(needed)} % needed"
    assert a.needed_pct == pytest.approx(needed) and a.margin_pct == pytest.approx(35.0 - needed)


def test_enough_battery_exactly_at_the_need_is_available() -> None:
    s = sortie(DOCK2, 2500.0)
    needed = sortie_energy_pct(2500.0, 0.0, DOCK2.reach, DOCK2.energy)
    assert avail(battery_pct=needed, sortie=s).available
    assert not avail(battery_pct=needed - 0.01, sortie=s).available


def test_charging_says_when_it_will_be_ready() -> None:
    s = sortie(DOCK2, 2500.0)
    needed = sortie_energy_pct(2500.0, 0.0, DOCK2.reach, DOCK2.energy)
    a = avail(battery_pct=50.0, charging=True, activity=DockActivity.CHARGING, sortie=s)
    expected_s = time_to_charge_s(50.0, needed, DOCK2.spec.charge_20_90_s)
    assert a.codes == (ReasonCode.CHARGING,)
    assert a.ready_in_s == pytest.approx(expected_s)
    assert a.summary == f"charging: ready in {math.ceil(expected_s / 60)} min"


def test_no_ready_time_is_promised_above_what_a_full_charge_reaches() -> None:
    # The distance whose sortie needs more than the dock ever reports, but not over 100 %.
    dist = next(
        d for d in range(2000, 10000, 5) if sortie_energy_pct(d, 0.0, DOCK2.reach, DOCK2.energy) > FULL_PCT
    )
    needed = sortie_energy_pct(dist, 0.0, DOCK2.reach, DOCK2.energy)
    assert FULL_PCT < needed <= 100.0
    far = sortie(DOCK2, float(dist))
    a = avail(battery_pct=90.0, charging=True, sortie=far)
    assert a.codes == (ReasonCode.BATTERY,) and a.ready_in_s is None


def test_a_charging_drone_with_enough_battery_may_launch() -> None:
    a = avail(battery_pct=97.0, charging=True, activity=DockActivity.CHARGING)
    assert a.available and "charging" in a.notes


def test_a_broken_charger_does_not_promise_a_ready_time() -> None:
    a = avail(battery_pct=50.0, charging=True, faults=("charger",), sortie=sortie(DOCK2, 2500.0))
    assert set(a.codes) == {ReasonCode.FAULT, ReasonCode.BATTERY} and a.ready_in_s is None


def test_targets_out_of_range() -> None:
    far = avail(sortie=sortie(DOCK2, LIMITS.max_range_m + 500.0))
    assert ReasonCode.OUT_OF_RANGE in far.codes and "km limit" in far.summary
    # A wind faster than the drone blowing from the target: it could never come back.
    gale = avail(sortie=sortie(DOCK3, 3000.0, wind=Wind(20.0, 270.0)), dock=DOCK3)
    assert ReasonCode.OUT_OF_RANGE in gale.codes


def test_every_failing_gate_is_reported() -> None:
    a = avail(
        weather=DockWeather(11.0, RainLevel.HEAVY, -40.0),
        battery_pct=30.0,
        cover=CoverStatus.FAULT,
        maintenance_note="",
        sortie=sortie(DOCK2, 2000.0),
    )
    assert set(a.codes) == {
        ReasonCode.MAINTENANCE,
        ReasonCode.FAULT,
        ReasonCode.WIND,
        ReasonCode.RAIN,
        ReasonCode.TEMPERATURE,
        ReasonCode.BATTERY,
    }
    assert "wind 11 m/s > 6" in a.summary and "rain: heavy" in a.summary


def test_poor_network_is_a_note_not_a_reason() -> None:
    a = avail(network_quality=1)
    assert a.available and any("network" in n for n in a.notes)


def test_airborne_drone_with_battery_can_be_retasked() -> None:
    drone = flying_drone("U02", NOW - 1.0, DOCK3.x_m + 1500.0, DOCK3.y_m, battery_pct=90.0)
    s = sortie(DOCK3, 2500.0, 500.0)
    a = airborne_availability(DOCK3, drone, (DOCK3.x_m + 1500.0, DOCK3.y_m), s, NOW, LIMITS)
    assert a.available and a.margin_pct is not None and a.margin_pct > 0


def test_airborne_drone_low_or_silent_cannot_be_retasked() -> None:
    s = sortie(DOCK3, 2500.0)
    low = flying_drone("U02", NOW - 1.0, DOCK3.x_m, DOCK3.y_m, battery_pct=30.0)
    assert airborne_availability(DOCK3, low, (DOCK3.x_m, DOCK3.y_m), s, NOW, LIMITS).codes == (
        ReasonCode.BATTERY,
    )
    silent = flying_drone("U02", NOW - 20.0, DOCK3.x_m, DOCK3.y_m)
    a = airborne_availability(DOCK3, silent, (DOCK3.x_m, DOCK3.y_m), s, NOW, LIMITS)
    assert a.codes == (ReasonCode.STALE,) and a.summary == "stale: no telemetry for 20 s"


@pytest.mark.parametrize(
    ("seconds", "text"), [(45.0, "45 s"), (60.0, "1 min"), (401.0, "7 min"), (7500.0, "2 h 5 min")]
)
def test_durations_round_up(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_numbers_drop_a_useless_decimal() -> None:
    assert (num(11.0), num(10.54), num(-31.0)) == ("11", "10.5", "-31")


def test_a_detour_around_keep_out_zones_costs_its_length() -> None:
    straight = sortie(DOCK2, 2000.0)
    detour = SortieGeometry(straight.spec, 2000.0, 0.0, route_m=2600.0)
    needed_detour = sortie_energy_pct(2600.0, 0.0, DOCK2.reach, DOCK2.energy)
    a = avail(sortie=detour)
    assert a.needed_pct == pytest.approx(needed_detour)
    assert a.needed_pct > avail(sortie=straight).needed_pct
    # A battery enough for the straight line but not for the detour is refused.
    b = avail(sortie=detour, battery_pct=needed_detour - 1.0)
    assert b.codes == (ReasonCode.BATTERY,)
    # A route shorter than the straight line (bad router) never lowers the need.
    short = SortieGeometry(straight.spec, 2000.0, 0.0, route_m=100.0)
    assert avail(sortie=short).needed_pct == pytest.approx(avail(sortie=straight).needed_pct)


def test_no_route_at_all_is_out_of_range() -> None:
    s = sortie(DOCK2, 2000.0)
    a = avail(sortie=SortieGeometry(s.spec, 2000.0, 0.0, route_m=math.inf))
    assert a.codes == (ReasonCode.OUT_OF_RANGE,) and "keep-out" in a.summary


def docked_drone(link_ok: bool = True, restored: bool = False) -> DroneState:
    """D01's drone on the ground in its dock, its link up (or not) and its telemetry fresh."""
    return DroneState("U01", link_ok=link_ok, telemetry_at_s=NOW - 1.0, restored=restored)


def fence(state: FenceState, detail: str = "") -> GeofenceStatus:
    return GeofenceStatus("U01", state, detail)


def test_a_failed_geofence_upload_keeps_the_drone_on_the_ground() -> None:
    failed = fence(FenceState.FAILED, "upload_geofence: no answer within 20 s")
    for drone in (docked_drone(), docked_drone(link_ok=False), None):
        a = avail(drone=drone, fence=failed)
        assert a.codes == (ReasonCode.GEOFENCE,)
        assert (
            a.summary
            == "keep-out geofence not on board: upload failed: upload_geofence: no answer within 20 s"
        )


def test_a_geofence_being_uploaded_leaves_a_docked_drone_available_with_a_note() -> None:
    # the executor holds the take-off until the fence is confirmed; a launch is not refused for it
    for drone in (docked_drone(), docked_drone(link_ok=False), docked_drone(restored=True), None):
        a = avail(drone=drone, fence=fence(FenceState.PENDING))
        assert a.available and a.codes == ()
        assert "keep-out geofence being uploaded: take-off waits for it" in a.notes


def test_an_uploaded_geofence_or_none_required_does_not_block() -> None:
    assert avail(drone=docked_drone(), fence=fence(FenceState.UPLOADED)).available
    assert avail(drone=docked_drone(), fence=None).available


def test_the_geofence_reason_joins_the_others_even_on_a_silent_dock() -> None:
    failed = fence(FenceState.FAILED, "mismatch")
    a = avail(drone=docked_drone(), fence=failed, weather=DockWeather(11.0, RainLevel.NONE, 18.0))
    assert set(a.codes) == {ReasonCode.GEOFENCE, ReasonCode.WIND}
    silent = dock_availability(DOCK2, None, NOW, LIMITS, drone=docked_drone(), fence=failed)
    assert set(silent.codes) == {ReasonCode.GEOFENCE, ReasonCode.UNKNOWN_STATE}


def test_an_airborne_drone_without_its_geofence_is_not_retasked() -> None:
    drone = flying_drone("U02", NOW - 1.0, DOCK3.x_m + 1500.0, DOCK3.y_m, battery_pct=90.0)
    s = sortie(DOCK3, 2500.0, 500.0)
    xy = (DOCK3.x_m + 1500.0, DOCK3.y_m)
    failed = GeofenceStatus("U02", FenceState.FAILED, "mismatch")
    a = airborne_availability(DOCK3, drone, xy, s, NOW, LIMITS, fence=failed)
    assert a.codes == (ReasonCode.GEOFENCE,) and "upload failed: mismatch" in a.summary
    pending = GeofenceStatus("U02", FenceState.PENDING)
    assert airborne_availability(DOCK3, drone, xy, s, NOW, LIMITS, fence=pending).codes == (
        ReasonCode.GEOFENCE,
    )
    uploaded = GeofenceStatus("U02", FenceState.UPLOADED)
    assert airborne_availability(DOCK3, drone, xy, s, NOW, LIMITS, fence=uploaded).available
