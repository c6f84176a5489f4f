"""The console backend's health and metrics: ``/healthz`` components and the ``/metrics`` totals."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from mission.alert_intake import AlertIntake
from mission.api.backend import DockView
from mission.console_launch import MissionLauncher
from mission.grid_service import GridService
from mission.ports import MissionStore

log = logging.getLogger(__name__)

#: A component's health check for ``/healthz`` (e.g. the broker link's ``connected``).
HealthCheck = Callable[[], Awaitable[bool]]


def service_counters(intake: AlertIntake, launcher: MissionLauncher, grid: GridService) -> dict[str, float]:
    """Totals since start (:class:`mission.api.metrics.ServiceMetrics`)."""
    out: dict[str, float] = {f"alerts_{action}": n for action, n in intake.counts.items()}
    out["alerts_invalid"] = intake.invalid
    out["missions_launched"] = launcher.launched
    out["mission_dispatch_failures"] = launcher.launch_failures
    out.update(grid.counters())
    return out


async def health(
    store: MissionStore, docks: Sequence[DockView], checks: Mapping[str, HealthCheck]
) -> dict[str, bool]:
    """``store`` answers a read, ``fleet`` has an online dock, and every extra check."""
    components: dict[str, bool] = {}
    try:
        await store.list_missions(active_only=True, limit=1)
        components["store"] = True
    except Exception:
        log.exception("store health check failed")
        components["store"] = False
    components["fleet"] = any(d.state is not None and d.state.online for d in docks)
    for name, check in checks.items():
        try:
            components[name] = bool(await check())
        except Exception:
            log.exception("health check %s failed", name)
            components[name] = False
    return components
