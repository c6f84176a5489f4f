"""PX4 failsafes, as pure decisions: data-link loss, battery levels, auto-disarm.

:class:`FailsafeMonitor` is fed the vehicle's situation every step and answers what to do: warn,
hold (for ``COM_FAIL_ACT_T`` first, as PX4 does), then return/land; or disarm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from sim.vehicle.params import ParamTable


class Action(Enum):
    """A failsafe action (PX4 NAV_DLL_ACT / COM_LOW_BAT_ACT outcomes)."""

    NONE = "none"
    WARN = "warn"
    HOLD = "hold"
    RETURN = "return"
    LAND = "land"
    DISARM = "disarm"


#: NAV_DLL_ACT values -> action (0 disabled, 1 hold, 2 return, 3 land; 5/6 terminate/lockdown as land).
DLL_ACTIONS = {
    0: Action.NONE,
    1: Action.HOLD,
    2: Action.RETURN,
    3: Action.LAND,
    5: Action.LAND,
    6: Action.LAND,
}


class BatteryLevel(Enum):
    OK = 0
    LOW = 1
    CRITICAL = 2
    EMERGENCY = 3


@dataclass(frozen=True)
class Situation:
    """The inputs of one failsafe evaluation (times in sim seconds)."""

    now_s: float
    armed: bool
    in_air: bool
    took_off: bool
    armed_at_s: float
    landed_at_s: float
    battery_remaining: float
    gcs_seen: bool
    gcs_silent_s: float
    gcs_silent_wall_s: float


@dataclass(frozen=True)
class Decision:
    """What the vehicle should do now; ``message`` goes out as STATUSTEXT."""

    action: Action
    message: str = ""


def battery_level(remaining: float, p: ParamTable) -> BatteryLevel:
    if remaining <= p["BAT_EMERGEN_THR"]:
        return BatteryLevel.EMERGENCY
    if remaining <= p["BAT_CRIT_THR"]:
        return BatteryLevel.CRITICAL
    if remaining <= p["BAT_LOW_THR"]:
        return BatteryLevel.LOW
    return BatteryLevel.OK


def battery_action(level: BatteryLevel, p: ParamTable) -> Action:
    """COM_LOW_BAT_ACT: 0 warn only, 1 return at critical, 2 land at critical, 3 return then land."""
    act = p.int("COM_LOW_BAT_ACT")
    if level is BatteryLevel.LOW or act == 0:
        return Action.WARN if level is not BatteryLevel.OK else Action.NONE
    if level is BatteryLevel.EMERGENCY:
        return Action.LAND
    if level is BatteryLevel.CRITICAL:
        return Action.LAND if act == 2 else Action.RETURN
    return Action.NONE


@dataclass
class FailsafeMonitor:
    """Remembers which failsafes fired and the pending hold-then-act timer.

    ``min_link_wall_s``: the data link also counts as lost only after this many *wall* seconds without
    a GCS heartbeat, because MAVSDK heartbeats at 1 Hz wall time even when the sim runs faster.
    """

    params: ParamTable
    min_link_wall_s: float = 2.5
    battery_level: BatteryLevel = BatteryLevel.OK
    link_lost: bool = False
    pending: Action = Action.NONE
    pending_since_s: float = 0.0
    pending_reason: str = ""
    log: list[str] = field(default_factory=list)

    def evaluate(self, s: Situation) -> list[Decision]:
        """Decisions for this step (usually none)."""
        p = self.params
        out: list[Decision] = []
        if s.armed and not s.in_air and not s.took_off and s.now_s - s.armed_at_s > p["COM_DISARM_PRFLT"] > 0:
            return [Decision(Action.DISARM, "Disarmed by auto preflight disarming")]
        if s.armed and not s.in_air and s.took_off and s.now_s - s.landed_at_s > p["COM_DISARM_LAND"] >= 0:
            return [Decision(Action.DISARM, "Disarmed by landing")]
        if not s.armed:
            self.pending = Action.NONE
            self.link_lost = False
            self.battery_level = battery_level(s.battery_remaining, p)
            return out
        out.extend(self._battery(s))
        out.extend(self._link(s))
        if self.pending is not Action.NONE and s.now_s - self.pending_since_s >= p["COM_FAIL_ACT_T"]:
            act, self.pending = self.pending, Action.NONE
            out.append(Decision(act, f"Failsafe activated: {self.pending_reason}, {act.value}"))
        return out

    def _trigger(self, action: Action, reason: str, s: Situation) -> list[Decision]:
        if action in (Action.NONE, Action.WARN):
            return []
        if not s.in_air:
            return []
        # A more severe failsafe replaces a pending one; PX4 holds first in either case.
        self.pending, self.pending_since_s, self.pending_reason = action, s.now_s, reason
        if self.params["COM_FAIL_ACT_T"] <= 0:
            self.pending = Action.NONE
            return [Decision(action, f"Failsafe activated: {reason}, {action.value}")]
        return [
            Decision(
                Action.HOLD, f"Failsafe: {reason}, {action.value} in {self.params['COM_FAIL_ACT_T']:.0f} s"
            )
        ]

    def _battery(self, s: Situation) -> list[Decision]:
        level = battery_level(s.battery_remaining, self.params)
        if level.value <= self.battery_level.value:
            return []
        self.battery_level = level
        pct = round(s.battery_remaining * 100)
        action = battery_action(level, self.params)
        if level is BatteryLevel.LOW or action is Action.WARN:
            return [Decision(Action.WARN, f"Low battery level: {pct}% remaining")]
        return self._trigger(action, f"{level.name.lower()} battery level {pct}%", s)

    def _link(self, s: Situation) -> list[Decision]:
        timeout = self.params["COM_DL_LOSS_T"]
        lost = s.gcs_seen and s.gcs_silent_s > timeout and s.gcs_silent_wall_s > self.min_link_wall_s
        if lost == self.link_lost:
            return []
        self.link_lost = lost
        if not lost:
            if self.pending_reason == "no connection to the ground control station":
                self.pending = Action.NONE
            return [Decision(Action.WARN, "Data link regained")]
        action = DLL_ACTIONS.get(self.params.int("NAV_DLL_ACT"), Action.NONE)
        if action is Action.NONE:
            return [Decision(Action.WARN, "Data link lost")]
        return self._trigger(action, "no connection to the ground control station", s)
