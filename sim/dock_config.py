"""Configuration and injectable faults of a simulated dock (:mod:`sim.dock`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from docks.charging import ChargingCurve

#: Steps of a flight preparation and the share of the preparation time each takes (cover excluded).
PREP_STEPS = (("drone_power_on", 0.4), ("self_check", 0.4), ("ready", 0.2))


@dataclass(frozen=True)
class SimDockConfig:
    """One simulated dock. Times are sim seconds."""

    sn: str
    longitude_deg: float
    latitude_deg: float
    dock_type: str = "dock2"
    drone_sn: str | None = None
    cover_s: float = 15.0
    prep_s: float = 50.0
    reboot_s: float = 60.0
    osd_interval_s: float = 2.0
    battery_pct: float = 80.0
    launch_wind_limit_mps: float = 8.0
    charging: ChargingCurve = field(default_factory=ChargingCurve)
    firmware_version: str = "sim-1.0"

    def __post_init__(self) -> None:
        for name in ("cover_s", "prep_s", "reboot_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{self.sn}: {name} must be >= 0")
        if self.osd_interval_s <= 0:
            raise ValueError(f"{self.sn}: osd_interval_s must be > 0")
        if not 0 <= self.battery_pct <= 100:
            raise ValueError(f"{self.sn}: battery_pct must be within [0, 100]")


@dataclass
class SimDockFaults:
    """Injected faults; change them at run time through :meth:`SimDock.inject`."""

    offline: bool = False
    cover_stuck: bool = False
    charger_failure: bool = False
    stale_telemetry: bool = False
