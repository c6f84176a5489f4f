"""A simulated dock: an MQTT device that opens and closes its cover with real delays, prepares flights,
charges its drone along :class:`docks.charging.ChargingCurve`, reports weather from
:class:`sim.weather.Weather`, and can be made to fail (offline, cover stuck, charger failure, stale
telemetry). All delays and the OSD period run on a :class:`sim.clock.SimClock`, so a speed-up makes a
15 s cover take 0.15 s at ``speed=100``.

The mission executor (later) calls :meth:`SimDock.drone_took_off`, :meth:`SimDock.drone_returning`
and :meth:`SimDock.drone_landed` (with the battery the drone came back with).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from docks.broker_url import BrokerUrl
from docks.charging import FULL_PCT
from docks.model import ChargeState, CoverState, DockFault, DockMode, HmsLevel, Rainfall, TaskStatus
from docks.mqtt_device import MqttDeviceClient, Output
from docks.mqtt_session import cancel_tasks
from docks.protocol import (
    ChargeOutput,
    CoverOutput,
    DockOsd,
    DockState,
    FlighttaskPrepare,
    FlighttaskProgress,
    Hms,
    HmsAlert,
    Message,
    NetworkState,
    PrepareOutput,
)
from docks.result_codes import ResultCode
from docks.settings import MqttSettings
from sim.clock import SimClock
from sim.dock_config import PREP_STEPS, SimDockConfig, SimDockFaults
from sim.weather import Weather

__all__ = ["PREP_STEPS", "SimDock", "SimDockConfig", "SimDockFaults"]

log = logging.getLogger(__name__)


class SimDock:
    """``async with SimDock(config, url, clock, weather): ...`` runs the dock until the block ends."""

    def __init__(
        self,
        config: SimDockConfig,
        url: BrokerUrl,
        clock: SimClock,
        weather: Weather,
        settings: MqttSettings | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.weather = weather
        self.faults = SimDockFaults()
        self.mode = DockMode.IDLE
        self.cover = CoverState.CLOSED
        self.drone_in_dock = True
        self.battery_pct = config.battery_pct
        self.charging = config.battery_pct < FULL_PCT
        self.maintenance = False
        self.alarm = False
        self.network_quality = 5
        self.flight_id: str | None = None
        self.osd_sent = 0
        self._standing: set[DockFault] = set()
        self._job: str | None = None
        self._last_tick_s = clock.now_s()
        self._rebooting = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.client = MqttDeviceClient(
            url, config.sn, self._handle, settings=settings, on_connect=self._publish_state
        )

    @property
    def sn(self) -> str:
        return self.config.sn

    # --- lifecycle --------------------------------------------------------------------------------

    async def __aenter__(self) -> SimDock:
        await self.client.__aenter__()
        self._spawn(self._osd_loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stopping = True
        await cancel_tasks(list(self._tasks))
        await self.client.close()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- fault injection and hooks --------------------------------------------------------------

    def inject(self, **faults: bool) -> None:
        """Set faults by name, e.g. ``inject(cover_stuck=True)``; ``offline`` drops the connection
        abruptly (the broker publishes the last will) and ``offline=False`` brings it back."""
        unknown = [name for name in faults if not hasattr(self.faults, name)]
        if unknown:
            raise ValueError(f"unknown fault {unknown[0]!r}")
        self._charge_tick()  # account the charge up to the fault
        for name, value in faults.items():
            setattr(self.faults, name, value)
        if "offline" in faults:
            if faults["offline"]:
                self.client.abort()
            elif not self._rebooting:
                self.client.resume()
        if faults.get("charger_failure"):
            self._raise_fault(DockFault.CHARGER, "dock_charger_failure", "charger stopped charging")
        elif faults.get("charger_failure") is False:
            self._standing.discard(DockFault.CHARGER)
        if faults.get("cover_stuck") is False and self.cover is CoverState.ABNORMAL:
            self._standing.discard(DockFault.COVER)
            self.cover = CoverState.CLOSED
            self._set_idle_mode()

    def set_maintenance(self, on: bool) -> None:
        self.maintenance = on
        self.mode = DockMode.MAINTENANCE if on else DockMode.IDLE
        if not on:
            self._set_idle_mode()

    def drone_took_off(self) -> None:
        """The drone left the dock."""
        self._charge_tick()
        self.drone_in_dock, self.charging = False, False
        self.mode = DockMode.WORKING

    def drone_returning(self) -> None:
        """The drone is on its way back: the dock opens its cover if needed."""
        self.mode = DockMode.RETURNING
        if self.cover is not CoverState.OPEN and self._job is None:
            self._spawn(self._move_cover(CoverState.OPEN))

    def drone_landed(self, battery_pct: float) -> None:
        """The drone is back with ``battery_pct``: close the cover, then charge."""
        if not 0 <= battery_pct <= 100:
            raise ValueError(f"battery_pct must be within [0, 100], got {battery_pct!r}")
        self.drone_in_dock, self.battery_pct, self.flight_id = True, battery_pct, None
        self._last_tick_s = self.clock.now_s()
        self.mode = DockMode.IDLE
        self._spawn(self._close_after_landing())

    async def _close_after_landing(self) -> None:
        if self.cover is not CoverState.CLOSED:
            await self._move_cover(CoverState.CLOSED)
        self._charge_tick()  # charging starts now, not at touchdown
        self.charging = self.battery_pct < FULL_PCT
        self._set_idle_mode()

    # --- state ---------------------------------------------------------------------------------

    def _set_idle_mode(self) -> None:
        if self.maintenance:
            self.mode = DockMode.MAINTENANCE
        elif self._standing & {DockFault.COVER, DockFault.POWER}:
            self.mode = DockMode.FAULT
        elif not self.drone_in_dock:
            self.mode = self.mode if self.mode in (DockMode.WORKING, DockMode.RETURNING) else DockMode.WORKING
        elif self._job is not None:
            return
        else:
            self.mode = DockMode.CHARGING if self._is_charging() else DockMode.IDLE

    def _is_charging(self) -> bool:
        return (
            self.charging
            and self.drone_in_dock
            and not self.faults.charger_failure
            and not self._rebooting
            and self.battery_pct < FULL_PCT
        )

    def charge_state(self) -> ChargeState:
        if self.faults.charger_failure:
            return ChargeState.FAULT
        if self.drone_in_dock and self.battery_pct >= FULL_PCT:
            return ChargeState.FULL
        return ChargeState.CHARGING if self._is_charging() else ChargeState.IDLE

    def _charge_tick(self) -> None:
        now_s = self.clock.now_s()
        if self._is_charging():
            self.battery_pct = self.config.charging.pct_after(self.battery_pct, now_s - self._last_tick_s)
        self._last_tick_s = now_s
        if self._job is None and self.mode in (DockMode.IDLE, DockMode.CHARGING):
            self._set_idle_mode()

    def osd(self) -> DockOsd:
        """The dock's telemetry now."""
        self._charge_tick()
        cfg = self.config
        wind = self.weather.wind_at(cfg.longitude_deg, cfg.latitude_deg, 10.0, self.clock.now_s())
        return DockOsd(
            mode=self.mode,
            cover_state=self.cover,
            drone_in_dock=self.drone_in_dock,
            drone_sn=cfg.drone_sn,
            drone_battery_pct=round(self.battery_pct, 2) if self.drone_in_dock else None,
            charge_state=self.charge_state(),
            wind_speed_mps=round(wind.speed_mps, 2),
            wind_from_deg=round(wind.from_deg, 1) % 360.0,
            rainfall=Rainfall(int(self.weather.rainfall)),
            environment_temperature_c=self.weather.temperature_c,
            network=NetworkState(quality=self.network_quality),
            alarm=self.alarm,
            faults=tuple(sorted(self._standing)),
            latitude_deg=cfg.latitude_deg,
            longitude_deg=cfg.longitude_deg,
            flight_id=self.flight_id,
        )

    async def _osd_loop(self) -> None:
        while not self._stopping:
            fresh = not self.faults.stale_telemetry and self.client.connected
            if fresh and await self.client.publish_osd("dock_osd", self.osd()):
                self.osd_sent += 1
            await self.clock.sleep(self.config.osd_interval_s)

    async def _publish_state(self) -> None:
        state = DockState(
            dock_type=self.config.dock_type,
            firmware_version=self.config.firmware_version,
            drone_sn=self.config.drone_sn,
        )
        await self.client.publish_state("dock_state", state)

    def _raise_fault(self, fault: DockFault, code: str, message: str) -> None:
        self._standing.add(fault)
        alert = HmsAlert(code=code, level=HmsLevel.WARNING, module=fault.value, message=message)
        self._spawn(self.client.publish_event("hms", Hms(alerts=(alert,)), need_reply=True))

    # --- services ---------------------------------------------------------------------------------

    async def _handle(self, message: Message) -> tuple[int, Output]:
        method = message.method
        if self._rebooting:
            return ResultCode.BUSY, None
        if method in ("charge_start", "charge_stop"):
            return self._charge(method == "charge_start")
        if method == "device_reboot":
            if self.mode in (DockMode.WORKING, DockMode.RETURNING) or self._job is not None:
                return ResultCode.WRONG_MODE, None
            self._spawn(self._reboot())
            return ResultCode.OK, None
        if self._job is not None:
            return ResultCode.BUSY, None
        if method in ("cover_open", "cover_close"):
            target = CoverState.OPEN if method == "cover_open" else CoverState.CLOSED
            if self.mode is DockMode.LAUNCHING and target is CoverState.CLOSED:
                self.mode, self.flight_id = DockMode.IDLE, None  # closing cancels the prepared launch
            self._job = method
            try:
                result = await self._move_cover(target)
            finally:
                self._job = None
                self._set_idle_mode()
            return result, CoverOutput(cover_state=self.cover)
        if method == "flighttask_prepare":
            assert isinstance(message.body, FlighttaskPrepare)
            return await self._prepare(message.body, message.envelope.bid)
        return ResultCode.UNKNOWN_METHOD, None

    def _charge(self, start: bool) -> tuple[int, Output]:
        self._charge_tick()
        if start:
            if not self.drone_in_dock:
                return ResultCode.DRONE_NOT_IN_DOCK, None
            if self.faults.charger_failure:
                return ResultCode.CHARGER_FAULT, None
        self.charging = start
        self._set_idle_mode()
        return ResultCode.OK, ChargeOutput(
            charge_state=self.charge_state(),
            drone_battery_pct=round(self.battery_pct, 2) if self.drone_in_dock else None,
        )

    async def _move_cover(self, target: CoverState) -> ResultCode:
        if self.cover is target:
            return ResultCode.OK
        self.cover = CoverState.OPENING if target is CoverState.OPEN else CoverState.CLOSING
        await self.clock.sleep(self.config.cover_s)
        if self.faults.cover_stuck:
            self.cover = CoverState.ABNORMAL
            self._raise_fault(DockFault.COVER, "dock_cover_stuck", f"cover did not reach {target.value}")
            return ResultCode.COVER_FAULT
        self.cover = target
        return ResultCode.OK

    def _prepare_refusal(self, request: FlighttaskPrepare) -> ResultCode | None:
        cfg = self.config
        if self.maintenance:
            return ResultCode.MAINTENANCE
        if DockFault.COVER in self._standing or self.cover is CoverState.ABNORMAL:
            return ResultCode.COVER_FAULT
        if self.mode not in (DockMode.IDLE, DockMode.CHARGING):
            return ResultCode.WRONG_MODE
        if not self.drone_in_dock:
            return ResultCode.DRONE_NOT_IN_DOCK
        wind = self.weather.wind_at(cfg.longitude_deg, cfg.latitude_deg, 10.0, self.clock.now_s())
        if wind.speed_mps > cfg.launch_wind_limit_mps or self.weather.rainfall >= Rainfall.HEAVY:
            return ResultCode.WEATHER_LIMIT
        self._charge_tick()
        if self.battery_pct < request.min_battery_pct:
            return ResultCode.BATTERY_TOO_LOW
        return None

    async def _prepare(self, request: FlighttaskPrepare, bid: str) -> tuple[int, Output]:
        refusal = self._prepare_refusal(request)
        if refusal is not None:
            return refusal, None
        self._job, self.flight_id = "flighttask_prepare", request.flight_id
        self.mode, self.charging = DockMode.PREPARING, False
        try:
            return await self._run_preparation(request.flight_id, bid)
        finally:
            self._job = None

    async def _run_preparation(self, flight_id: str, bid: str) -> tuple[int, Output]:
        rest_s = max(self.config.prep_s - self.config.cover_s, 0.0)
        await self._progress(flight_id, bid, TaskStatus.IN_PROGRESS, "cover_opening", 0.0)
        result = await self._move_cover(CoverState.OPEN)
        if result is not ResultCode.OK:
            await self._progress(flight_id, bid, TaskStatus.FAILED, "cover_opening", 0.0, result)
            self.flight_id = None
            self._set_idle_mode()
            return result, None
        done = self.config.cover_s
        for step, share in PREP_STEPS:
            pct = 100.0 * done / max(self.config.prep_s, 1e-9)
            await self._progress(flight_id, bid, TaskStatus.IN_PROGRESS, step, min(pct, 99.0))
            await self.clock.sleep(rest_s * share)
            done += rest_s * share
        self.mode = DockMode.LAUNCHING
        await self._progress(flight_id, bid, TaskStatus.OK, "ready", 100.0)
        return ResultCode.OK, PrepareOutput(flight_id=flight_id, drone_battery_pct=round(self.battery_pct, 2))

    async def _progress(
        self, flight_id: str, bid: str, status: TaskStatus, step: str, pct: float, result: int = 0
    ) -> None:
        data = FlighttaskProgress(flight_id=flight_id, status=status, step=step, percent=pct, result=result)
        await self.client.publish_event("flighttask_progress", data, bid=bid)

    async def _reboot(self) -> None:
        await asyncio.sleep(0.05)  # let the reply go out first
        self._charge_tick()
        self._rebooting = True
        self.mode = DockMode.MAINTENANCE
        self.client.abort()
        await self.clock.sleep(self.config.reboot_s)
        self._rebooting = False
        self._last_tick_s = self.clock.now_s()
        self._set_idle_mode()
        if not self.faults.offline:
            self.client.resume()
        log.info("%s rebooted", self.sn)
