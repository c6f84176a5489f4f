"""One typed settings object: a TOML file plus ``SKYLOOP_*`` environment variables.

``SKYLOOP_CONFIG`` names the TOML file (default ``config/skyloop.toml``); nested keys are set from the
environment with a double underscore, e.g. ``SKYLOOP_PLANNING__TARGET_S=240``. Relative paths in the
file are resolved against the file's folder. Invalid values fail at start-up with a clear message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from docks.settings import MqttSettings
from fleet.fleet_settings import FleetSettings
from fleet.flight_settings import FlightSettings
from fleet.geofence import GeofenceSettings
from mission.alert_settings import AlertSettings
from mission.api_settings import ApiSettings
from mission.app_settings import DroneLinkSettings
from mission.cli.paths import DEFAULT_CONFIG
from mission.geo_config import RoutingSettings
from mission.lead_settings import LeadSettings
from mission.store_settings import StoreSettings
from mission.supervision import PLANNED_FLIGHT, ExecutorSettings
from payload.payload_settings import PayloadSettings


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DistrictSettings(_Section):
    name: str = "district"
    boundary: Path = Path("district.geojson")
    keepout: Path = Path("keepout.geojson")
    docks: Path = Path("docks.geojson")
    metric_crs: str | None = Field(default=None, description="EPSG code; None picks the UTM zone")


class ReachDefaults(_Section):
    dispatch_s: float = Field(30.0, ge=0)
    cruise_height_m: float = Field(100.0, gt=0)
    on_scene_height_m: float = Field(100.0, gt=0)
    climb_mps: float = Field(5.0, gt=0)
    descent_mps: float = Field(4.0, gt=0)
    cruise_mps: float = Field(15.0, gt=0, le=30)
    accel_mps2: float = Field(3.0, gt=0)
    settle_s: float = Field(10.0, ge=0)


class EnergyDefaults(_Section):
    on_scene_min_s: float = Field(900.0, ge=0)
    reserve_pct: float = Field(25.0, ge=10, lt=100, description="below 10 % is refused as unsafe")
    landing_s: float = Field(30.0, ge=0)


class PlanningSettings(_Section):
    target_s: float = Field(300.0, gt=0)
    regulatory_ceiling_m: float = Field(120.0, gt=0, le=500)
    coverage_k_design: int = Field(2, ge=1, le=5)
    wind_margin_mps: float = Field(2.0, ge=0)
    reach: ReachDefaults = ReachDefaults()
    energy: EnergyDefaults = EnergyDefaults()

    @field_validator("reach")
    @classmethod
    def _cruise_under_ceiling(cls, reach: ReachDefaults) -> ReachDefaults:
        if reach.on_scene_height_m > reach.cruise_height_m:
            raise ValueError("on_scene_height_m must not exceed cruise_height_m")
        return reach


class DockType(_Section):
    prep_s: float = Field(60.0, ge=0)
    launch_wind_limit_mps: float = Field(8.0, gt=0)
    flight_endurance_s: float = Field(3000.0, gt=0)
    hover_endurance_s: float = Field(2400.0, gt=0)
    charge_20_90_s: float = Field(1920.0, gt=0)
    temperature_range_c: tuple[float, float] = (-25.0, 45.0)


class Settings(BaseSettings):
    """Everything configurable, validated at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="SKYLOOP_", env_nested_delimiter="__", extra="forbid", toml_file=None
    )

    config_dir: Path = Path(".")
    district: DistrictSettings = DistrictSettings()
    planning: PlanningSettings = PlanningSettings()
    dock_types: dict[str, DockType] = {"dock2": DockType()}
    routing: RoutingSettings = RoutingSettings()
    mqtt: MqttSettings = MqttSettings()
    payload: PayloadSettings = PayloadSettings()
    flight: FlightSettings = FlightSettings()
    geofence: GeofenceSettings = GeofenceSettings()
    fleet: FleetSettings = FleetSettings()
    api: ApiSettings = ApiSettings()
    alerts: AlertSettings = AlertSettings()
    leads: LeadSettings = LeadSettings()
    store: StoreSettings = StoreSettings()
    missions: ExecutorSettings = ExecutorSettings()
    drones: dict[str, DroneLinkSettings] = {}

    @model_validator(mode="after")
    def _missions_fly_what_was_planned(self) -> Settings:
        """The executor flies the heights and cruise speed the planner priced: ``[planning.reach]``
        sets them for both; other values under ``[missions]`` are refused, not silently overridden."""
        reach = self.planning.reach
        own = sorted(
            k
            for k in set(PLANNED_FLIGHT) & self.missions.model_fields_set
            if getattr(self.missions, k) != getattr(reach, k)
        )
        if own:
            raise ValueError(
                f"[missions] {', '.join(own)}: set under [planning.reach] instead"
                " (one value for planning and flight)"
            )
        self.missions = self.missions.model_copy(update={k: getattr(reach, k) for k in PLANNED_FLIGHT})
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = _toml_path_var.get()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    def path(self, relative: Path) -> Path:
        """A path from the settings, resolved against the config file's folder."""
        return relative if relative.is_absolute() else (self.config_dir / relative).resolve()


class SettingsError(Exception):
    """The configuration is missing or invalid; the message says what and where."""


class _TomlPath:
    def __init__(self) -> None:
        self._value: Path | None = None

    def get(self) -> Path | None:
        return self._value

    def set(self, value: Path | None) -> None:
        self._value = value


_toml_path_var = _TomlPath()


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Load settings from ``path`` (or ``$SKYLOOP_CONFIG``, or the shipped reference config)."""
    toml = Path(path or os.environ.get("SKYLOOP_CONFIG") or DEFAULT_CONFIG)
    if not toml.is_file():
        raise SettingsError(f"config file not found: {toml}")
    _toml_path_var.set(toml)
    try:
        return Settings(config_dir=toml.resolve().parent, **overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SettingsError(f"{toml}: {where}: {first['msg']}") from None
    except ValueError as exc:  # TOML syntax errors
        raise SettingsError(f"{toml}: {exc}") from None
    finally:
        _toml_path_var.set(None)
