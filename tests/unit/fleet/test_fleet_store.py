"""The JSON fleet-state store: round trip, atomic writes, and bad files that lose nothing."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest

from fleet.json_state_store import JsonFleetStateStore
from fleet.model import DockActivity, FleetSnapshot, RainLevel
from fleet.snapshot_codec import SCHEMA_VERSION, FleetStoreError, snapshot_from_data, snapshot_to_data

from .fleet_helpers import flying_drone, healthy_dock


def sample() -> FleetSnapshot:
    d1 = healthy_dock("D01", 10.0, activity=DockActivity.CHARGING, charging=True, battery_pct=55.5)
    d2 = healthy_dock("D02", 11.0, faults=("cover",))
    return FleetSnapshot(
        docks={"D01": d1, "D02": d2},
        drones={"U02": flying_drone("U02", 12.0, 100.0, 200.0)},
        assignments={"D02": "M-9"},
        maintenance={"D01": "lens cleaning"},
        saved_at_s=12.5,
    )


async def test_round_trip(tmp_path: Path) -> None:
    store = JsonFleetStateStore(tmp_path / "state" / "fleet.json")
    assert await store.load() is None
    snap = sample()
    await store.save(snap)
    loaded = await store.load()
    assert loaded == snap
    assert loaded is not None and loaded.docks["D01"].weather.rain is RainLevel.NONE


async def test_save_replaces_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "fleet.json"
    store = JsonFleetStateStore(path)
    await store.save(sample())
    await store.save(FleetSnapshot(assignments={"D01": "M-10"}))
    assert [p.name for p in await asyncio.to_thread(lambda: list(tmp_path.iterdir()))] == ["fleet.json"]
    loaded = await store.load()
    assert loaded is not None and loaded.assignments == {"D01": "M-10"} and loaded.docks == {}


async def test_a_corrupt_file_is_reported_and_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "fleet.json"
    path.write_text('{"schema": 1, "docks": {', encoding="utf-8")
    store = JsonFleetStateStore(path)
    with pytest.raises(FleetStoreError, match="corrupt"):
        await store.load()
    kept = await asyncio.to_thread(lambda: list(tmp_path.glob("fleet.json.corrupt-*")))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == '{"schema": 1, "docks": {'
    # The next save does not clobber the kept copy, and the store works again.
    await store.save(sample())
    assert await store.load() == sample()
    assert kept[0].exists()


def test_invalid_content_names_the_field() -> None:
    data = snapshot_to_data(sample())
    data["docks"]["D01"]["battery_pct"] = "lots"
    with pytest.raises(FleetStoreError, match=r"docks\.D01\.battery_pct"):
        snapshot_from_data(data)


def test_another_schema_version_is_refused_not_misread() -> None:
    data = snapshot_to_data(sample())
    data["schema"] = SCHEMA_VERSION + 1
    with pytest.raises(FleetStoreError, match="schema version"):
        snapshot_from_data(data)
    with pytest.raises(FleetStoreError, match="JSON object"):
        snapshot_from_data([1, 2])


def test_the_stored_file_is_plain_json(tmp_path: Path) -> None:
    path = tmp_path / "fleet.json"
    JsonFleetStateStore(path).save_sync(sample())
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema"] == SCHEMA_VERSION
    assert data["docks"]["D02"]["faults"] == ["cover"]
    assert data["assignments"] == {"D02": "M-9"}


def test_unwritable_location_raises_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(FleetStoreError, match="cannot write"):
        JsonFleetStateStore(blocker / "fleet.json").save_sync(sample())


def test_non_finite_numbers_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "fleet.json"
    bad = FleetSnapshot(docks={"D01": healthy_dock("D01", 1.0, battery_pct=math.nan)})
    with pytest.raises(FleetStoreError, match="not saved"):
        JsonFleetStateStore(path).save_sync(bad)
    assert not path.exists()
