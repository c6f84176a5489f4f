"""Benchmark of the fleet manager's state keeping: ``python -m bench.fleet_state``.

Prints one table for 16 and 1,000 docks (dock3, reference config, docks on a 4 km grid around the
district): OSD ingest into fleet state (already decoded, and from raw bytes through the protocol
codec), the stale sweep run every second, one availability query for a named sortie, the planner's
``candidates`` over the whole fleet, and saving/loading the JSON state file. Then OSD messages per
second through a real broker into fleet state (embedded amqtt; Mosquitto too when reachable at
``SKYLOOP_TEST_MQTT_URL`` or ``--mosquitto URL``), publisher flat out, QoS 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import aiomqtt

from docks.broker import EmbeddedBroker
from docks.broker_url import BrokerUrl, parse_broker_url
from docks.model import ChargeState, CoverState, DockMode, Rainfall
from docks.mqtt_link import MqttDockLink
from docks.protocol import Channel, DockOsd, Outgoing, build, decode
from fleet.feeds import attach_dock_link
from fleet.json_state_store import JsonFleetStateStore
from fleet.manager import FleetManager
from fleet.model import SortieSpec
from fleet.registry import DockRecord, DockTypeSpec, FleetRegistry
from geo.crs import LocalFrame
from geo.model import EnergyParams, ReachParams
from mission.settings import load_settings

CENTRE_LON, CENTRE_LAT = 113.84, 34.82


def _fleet(count: int) -> FleetManager:
    s = load_settings()
    frame = LocalFrame.from_epsg(s.district.metric_crs or "EPSG:4547")
    types = {n: DockTypeSpec.from_mapping(n, t.model_dump()) for n, t in s.dock_types.items()}
    reach = ReachParams(**s.planning.reach.model_dump(), target_s=s.planning.target_s)
    energy = EnergyParams(**s.planning.energy.model_dump())
    cx, cy = frame.to_local(CENTRE_LON, CENTRE_LAT)
    side = max(1, round(count**0.5))
    records = []
    for i in range(count):
        x = cx + 4000.0 * (i % side - side / 2)
        y = cy + 4000.0 * (i // side - side / 2)
        lon, lat = frame.to_wgs84(x, y)
        records.append(DockRecord(f"B{i:04d}", "dock3", float(lon), float(lat)))
    registry = FleetRegistry(records, types, frame.to_local, reach, energy)
    return FleetManager(registry, s.fleet, wind_margin_mps=s.planning.wind_margin_mps)


def _osd(pct: float) -> DockOsd:
    return DockOsd(
        mode=DockMode.IDLE,
        cover_state=CoverState.CLOSED,
        drone_in_dock=True,
        drone_battery_pct=pct,
        charge_state=ChargeState.CHARGING,
        wind_speed_mps=3.0,
        rainfall=Rainfall.NONE,
        environment_temperature_c=18.0,
        latitude_deg=CENTRE_LAT,
        longitude_deg=CENTRE_LON,
    )


def _rate(fn: Callable[[int], object], n: int) -> float:
    """Calls per second of ``fn(i)`` for i in range(n)."""
    t0 = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - t0)


def _median_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _pure_rows(count: int) -> list[tuple[str, str, str]]:
    fm = _fleet(count)
    ids = fm.registry.dock_ids
    sub = fm.subscribe(maxsize=100_000)  # a listener, as the console would have
    osds = [_osd(60.0 + (i % 40)) for i in range(200)]
    n = max(20_000, 20 * count)
    ingest = _rate(lambda i: fm.ingest_osd(ids[i % count], osds[i % 200]), n)
    raw = [build(Channel.OSD, ids[i % count], "dock_osd", osds[i % 200]) for i in range(min(n, 5000))]
    decoded = _rate(lambda i: fm.ingest_osd(ids[i % count], _decode_osd(raw[i % len(raw)])), n // 2)
    sweep_s = _median_s(fm.check, 20)
    sortie = SortieSpec(CENTRE_LON + 0.01, CENTRE_LAT + 0.01)
    one_s = _median_s(lambda: fm.availability(ids[0], sortie), 200)
    cands_s = _median_s(lambda: fm.candidates(sortie), 10 if count > 100 else 100)
    with tempfile.TemporaryDirectory() as tmp:
        store = JsonFleetStateStore(Path(tmp) / "fleet.json")
        snap = fm.snapshot()
        save_s = _median_s(lambda: store.save_sync(snap), 10)
        size_kb = (Path(tmp) / "fleet.json").stat().st_size / 1024
        load_s = _median_s(store.load_sync, 10)
    sub.close()
    return [
        (f"OSD ingest (decoded), {count} docks", f"{ingest:,.0f} msg/s", f"{1e6 / ingest:.0f} µs/msg"),
        (f"OSD ingest from bytes (codec + manager), {count} docks", f"{decoded:,.0f} msg/s", ""),
        (f"stale sweep check(), {count} docks", f"{sweep_s * 1e3:.2f} ms", "once per check_interval_s"),
        ("availability(dock, sortie)", f"{one_s * 1e6:.0f} µs", ""),
        (f"candidates(sortie), {count} docks", f"{cands_s * 1e3:.2f} ms", "every dock, with reasons"),
        (
            f"JSON state save / load, {count} docks",
            f"{save_s * 1e3:.1f} / {load_s * 1e3:.1f} ms",
            f"{size_kb:.0f} KB",
        ),
    ]


def _decode_osd(out: Outgoing) -> DockOsd:
    msg = decode(out.topic, out.payload)
    assert isinstance(msg.body, DockOsd)
    return msg.body


async def _through_broker(url: BrokerUrl, count: int, seconds: float) -> tuple[float, float, float]:
    """Publish OSD for ``count`` docks flat out for ``seconds`` (publisher and fleet in this one
    process, as one event loop); return (published/s, into fleet state/s, fraction delivered)."""
    fm = _fleet(count)
    ids = fm.registry.dock_ids
    payloads = [build(Channel.OSD, sn, "dock_osd", _osd(70.0 + i % 30)) for i, sn in enumerate(ids)]
    last_s = [0.0]

    def arrived(_: object) -> None:
        last_s[0] = time.perf_counter()

    async with MqttDockLink(url, client_id=f"bench-fleet-{os.getpid()}") as link:
        attach_dock_link(fm, link)
        link.add_listener(arrived)
        await link.wait_connected()
        async with aiomqtt.Client(url.host, url.port, identifier=f"bench-pub-{os.getpid()}") as pub:
            await pub.publish(payloads[0].topic, payloads[0].payload)  # warm up the subscription
            await asyncio.sleep(0.3)
            start = fm.osd_ingested
            sent = 0
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < seconds:
                for out in payloads[sent % count : sent % count + 50]:
                    await pub.publish(out.topic, out.payload, qos=0)
                    sent += 1
                await asyncio.sleep(0)
            elapsed = time.perf_counter() - t0
            await asyncio.sleep(1.0)  # let the tail arrive
            got = fm.osd_ingested - start
    return sent / elapsed, got / (last_s[0] - t0), got / sent


def _broker_row(name: str, count: int, sent: float, got: float, share: float) -> tuple[str, str, str]:
    note = f"published {sent:,.0f}/s, {share:.0%} delivered (publisher in the same process)"
    return (f"broker → fleet state, {name}, {count} docks", f"{got:,.0f} msg/s", note)


def _reachable(url: BrokerUrl) -> bool:
    try:
        with socket.create_connection((url.host, url.port), timeout=1.0):
            return True
    except OSError:
        return False


async def _broker_rows(mosquitto: str | None, seconds: float) -> list[tuple[str, str, str]]:
    rows = []
    async with EmbeddedBroker() as broker:
        for count in (16, 1000):
            rows.append(_broker_row("amqtt", count, *await _through_broker(broker.url, count, seconds)))
    if mosquitto:
        url = parse_broker_url(mosquitto)
        if _reachable(url):
            for count in (16, 1000):
                rows.append(_broker_row("Mosquitto", count, *await _through_broker(url, count, seconds)))
        else:
            rows.append(("broker → fleet state, Mosquitto", "skipped", f"{url} unreachable"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mosquitto", default=os.environ.get("SKYLOOP_TEST_MQTT_URL"), help="broker URL")
    parser.add_argument("--seconds", type=float, default=3.0, help="publishing time per broker row")
    args = parser.parse_args()
    for noisy in ("docks", "fleet"):  # other clients on a shared broker: "not in the registry" lines
        logging.getLogger(noisy).setLevel(logging.ERROR)
    rows = _pure_rows(16) + _pure_rows(1000)
    rows += asyncio.run(_broker_rows(args.mosquitto, args.seconds))
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'result':>16}  note")
    for what, result, note in rows:
        print(f"{what:<{width}}  {result:>16}  {note}")
    print("needed: 16 docks at 0.5 Hz = 8 msg/s; 1,000 docks at 1 Hz = 1,000 msg/s")


if __name__ == "__main__":
    main()
