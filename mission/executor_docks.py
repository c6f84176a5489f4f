"""The executor's dock calls: one service call whose refusal is an :class:`EffectError`, and the
release of a dock reserved to land in that the drone never landed in."""

from __future__ import annotations

from typing import Any

from docks.ports import reply_of
from mission.executor_deps import EffectError, RunContext, why


async def dock_call(run: RunContext, sn: str, method: str, data: Any = None) -> dict[str, Any]:
    """Call ``method`` on dock ``sn`` (the mission's id as the business id); its output."""
    reply = reply_of(await run.deps.docks.call(sn, method, data, bid=run.mission.id))
    if reply.result != 0:
        reason = reply.output.get("reason", "")
        raise EffectError(
            f"dock {sn} refused {method}: result {reply.result}" + (f" ({reason})" if reason else "")
        )
    return dict(reply.output)


async def free_foreign_dock(run: RunContext) -> None:
    """A dock reserved to land in that the drone never landed in (it was handed over in the air
    to another mission, or lost) is closed again and freed."""
    dock_id, m, fleet = run.foreign_dock, run.mission, run.deps.fleet
    if dock_id is None or dock_id == m.return_dock_id or fleet.assignment(dock_id) != m.id:
        return
    try:
        await dock_call(run, dock_id, "cover_close")
    except Exception as exc:
        await run.note("effect_failed", {"effect": "cover_close", "why": why(exc)})
    fleet.release(dock_id, m.id)
    await run.note("return_dock_freed", {"dock_id": dock_id})
