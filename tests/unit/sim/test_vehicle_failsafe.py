"""Failsafe decisions: battery levels, data-link loss, hold-then-act, auto-disarm."""

from __future__ import annotations

from dataclasses import replace

from sim.vehicle.failsafe import Action, FailsafeMonitor, Situation
from sim.vehicle.params import ParamTable

FLYING = Situation(
    now_s=100.0, armed=True, in_air=True, took_off=True, armed_at_s=0.0, landed_at_s=0.0,
    battery_remaining=0.8, gcs_seen=True, gcs_silent_s=0.5, gcs_silent_wall_s=0.5,
)  # fmt: skip


def actions(mon: FailsafeMonitor, s: Situation) -> list[Action]:
    return [d.action for d in mon.evaluate(s)]


def run(
    mon: FailsafeMonitor, s: Situation, until_s: float, step_s: float = 0.5, **changes: float
) -> list[Action]:
    out: list[Action] = []
    t = s.now_s
    while t <= until_s:
        out += actions(mon, replace(s, now_s=t, **changes))
        t += step_s
    return out


def test_nothing_happens_in_normal_flight() -> None:
    assert run(FailsafeMonitor(ParamTable()), FLYING, 200.0) == []


def test_low_battery_warns_critical_holds_then_returns_emergency_lands() -> None:
    p = ParamTable()
    mon = FailsafeMonitor(p)
    assert actions(mon, replace(FLYING, battery_remaining=0.14)) == [Action.WARN]
    got = run(mon, replace(FLYING, now_s=101.0), 110.0, battery_remaining=0.06)
    assert got == [Action.HOLD, Action.RETURN]
    got = run(mon, replace(FLYING, now_s=120.0), 130.0, battery_remaining=0.04)
    assert got == [Action.HOLD, Action.LAND]


def test_failsafe_holds_for_com_fail_act_t_before_acting() -> None:
    p = ParamTable({"COM_FAIL_ACT_T": 3.0})
    mon = FailsafeMonitor(p)
    s = replace(FLYING, battery_remaining=0.06)
    assert actions(mon, s) == [Action.HOLD]
    assert actions(mon, replace(s, now_s=102.9)) == []
    assert actions(mon, replace(s, now_s=103.0)) == [Action.RETURN]


def test_battery_action_warn_only_and_land() -> None:
    mon = FailsafeMonitor(ParamTable({"COM_LOW_BAT_ACT": 0}))
    assert run(mon, FLYING, 120.0, battery_remaining=0.04) == [Action.WARN]
    mon = FailsafeMonitor(ParamTable({"COM_LOW_BAT_ACT": 2}))
    assert run(mon, FLYING, 120.0, battery_remaining=0.06) == [Action.HOLD, Action.LAND]


def test_data_link_loss_runs_nav_dll_act_after_com_dl_loss_t() -> None:
    mon = FailsafeMonitor(ParamTable({"NAV_DLL_ACT": 2, "COM_DL_LOSS_T": 10}))
    assert actions(mon, replace(FLYING, gcs_silent_s=9.0, gcs_silent_wall_s=9.0)) == []
    assert actions(mon, replace(FLYING, gcs_silent_s=10.5, gcs_silent_wall_s=10.5)) == [Action.HOLD]
    lost = replace(FLYING, now_s=105.0, gcs_silent_s=15.5, gcs_silent_wall_s=15.5)
    assert actions(mon, lost) == [Action.RETURN]


def test_link_loss_needs_wall_time_too_when_sped_up() -> None:
    mon = FailsafeMonitor(ParamTable({"NAV_DLL_ACT": 2}), min_link_wall_s=2.5)
    assert actions(mon, replace(FLYING, gcs_silent_s=12.0, gcs_silent_wall_s=1.2)) == []
    assert actions(mon, replace(FLYING, gcs_silent_s=26.0, gcs_silent_wall_s=2.6)) == [Action.HOLD]


def test_link_loss_disabled_or_never_connected_only_warns() -> None:
    mon = FailsafeMonitor(ParamTable({"NAV_DLL_ACT": 0}))
    assert actions(mon, replace(FLYING, gcs_silent_s=60, gcs_silent_wall_s=60)) == [Action.WARN]
    mon = FailsafeMonitor(ParamTable({"NAV_DLL_ACT": 2}))
    assert actions(mon, replace(FLYING, gcs_seen=False, gcs_silent_s=60, gcs_silent_wall_s=60)) == []


def test_link_regained_during_hold_cancels_the_action() -> None:
    mon = FailsafeMonitor(ParamTable({"NAV_DLL_ACT": 3}))
    assert actions(mon, replace(FLYING, gcs_silent_s=20, gcs_silent_wall_s=20)) == [Action.HOLD]
    assert actions(mon, replace(FLYING, now_s=102.0)) == [Action.WARN]  # "Data link regained"
    assert run(mon, replace(FLYING, now_s=103.0), 120.0) == []


def test_preflight_auto_disarm_after_com_disarm_prflt() -> None:
    mon = FailsafeMonitor(ParamTable({"COM_DISARM_PRFLT": 10.0}))
    on_ground = replace(FLYING, in_air=False, took_off=False, armed_at_s=100.0)
    assert actions(mon, replace(on_ground, now_s=109.0)) == []
    assert actions(mon, replace(on_ground, now_s=110.5)) == [Action.DISARM]


def test_disarm_after_landing() -> None:
    mon = FailsafeMonitor(ParamTable({"COM_DISARM_LAND": 2.0}))
    landed = replace(FLYING, in_air=False, landed_at_s=100.0)
    assert actions(mon, replace(landed, now_s=101.5)) == []
    assert actions(mon, replace(landed, now_s=102.5)) == [Action.DISARM]


def test_failsafes_do_not_act_on_the_ground() -> None:
    mon = FailsafeMonitor(ParamTable({"COM_DISARM_PRFLT": 0.0}))
    on_ground = replace(FLYING, in_air=False, took_off=False, battery_remaining=0.06)
    assert Action.RETURN not in run(mon, on_ground, 130.0)
