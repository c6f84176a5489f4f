"""Benchmark of the fleet manager's state keeping: ``python -m bench.fleet_state``.

Prints one table for 16 and 1,000 docks (dock3, reference config, docks on a 4 km grid around the
district): OSD ingest into fleet state (already decoded, and from raw bytes through the protocol
codec), the stale sweep run every second, one availability query for a named sortie, the planner's
``candidates`` over the whole fleet, and saving/loading the JSON state file. Then OSD messages per
second through a real broker into fleet state (embedded amqtt; Mosquitto too when reachable at
``SKYLOOP_TEST_MQTT_URL`` or ``--mosquitto URL``): publisher processes flat out, QoS 0, one
``MqttDockLink`` feeding one ``FleetManager`` in this process — the ceiling of mission control's
OSD path into fleet state.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import os
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiomqtt

from docks.broker import EmbeddedBroker
from docks.broker_url import BrokerUrl, parse_broker_url
from docks.model import ChargeState, CoverState, DockMode, Rainfall
from docks.mqtt_link import MqttDockLink
from docks.protocol import Channel, DockOsd, Message, Outgoing, build, decode
from fleet.feeds import attach_dock_link
from fleet.json_state_store import JsonFleetStateStore
from fleet.manager import FleetManager
from fleet.model import SortieSpec
from fleet.registry import DockRecord, DockTypeSpec, FleetRegistry
from geo.crs import LocalFrame
from geo.model import EnergyParams, ReachParams
from mission.settings import load_settings

CENTRE_LON, CENTRE_LAT = 113.84, 34.82


def _fleet(count: int, prefix: str = "B") -> FleetManager:
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
        records.append(DockRecord(f"{prefix}{i:04d}", "dock3", float(lon), float(lat)))
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


def _publisher_main(
    host: str, port: int, items: list[tuple[str, bytes]], seconds: float, rate_hz: float | None, out: Any
) -> None:
    """A publisher process: each item's OSD at ``rate_hz`` (None: flat out), QoS 0, for ``seconds``;
    puts (sent, start) with the start on ``time.monotonic`` (system-wide on Linux, so comparable with
    the receiver's)."""

    async def go() -> tuple[int, float]:
        sent = 0
        async with aiomqtt.Client(host, port, identifier=f"bench-pub-{os.getpid()}") as client:
            t0 = time.monotonic()
            while time.monotonic() - t0 < seconds:
                round_start = time.monotonic()
                for topic, payload in items:
                    await client.publish(topic, payload, qos=0)
                    sent += 1
                    if rate_hz is None and sent % 200 == 0 and time.monotonic() - t0 >= seconds:
                        break
                if rate_hz is not None:
                    await asyncio.sleep(max(0.0, 1.0 / rate_hz - (time.monotonic() - round_start)))
        return sent, t0

    out.put(asyncio.run(go()))


async def _through_broker(
    url: BrokerUrl, count: int, seconds: float, publishers: int, rate_hz: float | None = None
) -> tuple[float, float, float]:
    """OSD for ``count`` docks from ``publishers`` other processes, flat out for ``seconds``, into one
    fleet manager (link + manager in this process, as in mission control); returns (published/s,
    into fleet state/s, fraction delivered)."""
    # Fresh serials and client id per run: a broker still draining an earlier run's backlog must not
    # count (messages for serials not in this registry are ignored).
    run_id = uuid.uuid4().hex[:6]
    fm = _fleet(count, prefix=f"R{run_id}B")
    ids = fm.registry.dock_ids
    outs = [build(Channel.OSD, sn, "dock_osd", _osd(70.0 + i % 30)) for i, sn in enumerate(ids)]
    items = [(o.topic, o.payload) for o in outs]
    last_s = [0.0]

    traffic = asyncio.Event()

    def arrived(message: Message) -> None:
        traffic.set()
        if message.sn in fm.registry:
            last_s[0] = time.monotonic()

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    loop = asyncio.get_running_loop()
    async with MqttDockLink(url, client_id=f"bench-fleet-{run_id}") as link:
        attach_dock_link(fm, link)
        link.add_listener(arrived)
        await link.wait_connected()
        procs = [
            ctx.Process(
                target=_publisher_main,
                args=(url.host, url.port, items[k::publishers], seconds, rate_hz, queue),
            )
            for k in range(publishers)
        ]
        start = fm.osd_ingested
        for proc in procs:
            proc.start()
        for proc in procs:
            await loop.run_in_executor(None, proc.join)
        results = [queue.get() for _ in procs]
        # Let the broker drain: wait for 1 s without any message (at most 60 s), so that this run's
        # tail is counted and the next run does not start behind a backlog.
        give_up = time.monotonic() + 60.0
        while time.monotonic() < give_up:
            traffic.clear()
            try:
                await asyncio.wait_for(traffic.wait(), 1.0)
            except TimeoutError:
                break
        got = fm.osd_ingested - start
    sent = sum(n for n, _ in results)
    elapsed = max(last_s[0] - min(t0 for _, t0 in results), 1e-9)
    return sent / seconds, got / elapsed, got / max(sent, 1)


def _broker_row(name: str, what: str, sent: float, got: float, share: float) -> tuple[str, str, str]:
    """Flat out the result is the rate into fleet state; paced it is the share delivered."""
    if what.endswith("Hz"):
        return (f"broker → fleet state, {name}, {what}", f"{share:.1%} delivered", f"{sent:,.0f} msg/s paced")
    note = f"published {sent:,.0f}/s by other processes, {share:.0%} delivered"
    return (f"broker → fleet state, {name}, {what}", f"{got:,.0f} msg/s", note)


def _reachable(url: BrokerUrl) -> bool:
    try:
        with socket.create_connection((url.host, url.port), timeout=1.0):
            return True
    except OSError:
        return False


async def _broker_rows(mosquitto: str | None, seconds: float, publishers: int) -> list[tuple[str, str, str]]:
    urls: list[tuple[str, BrokerUrl]] = []
    rows: list[tuple[str, str, str]] = []
    async with EmbeddedBroker() as broker:
        urls.append(("amqtt", broker.url))
        if mosquitto:
            url = parse_broker_url(mosquitto)
            if _reachable(url):
                urls.append(("Mosquitto", url))
            else:
                rows.append(("broker → fleet state, Mosquitto", "skipped", f"{url} unreachable"))
        for name, url in urls:  # paced first: a flat-out run leaves the broker a backlog to drain
            paced = await _through_broker(url, 1000, seconds, publishers, rate_hz=1.0)
            rows.append(_broker_row(name, "1000 docks at 1 Hz", *paced))
            for count in (16, 1000):
                got = await _through_broker(url, count, seconds, publishers)
                rows.append(_broker_row(name, f"{count} docks flat out", *got))
    return rows


def run(mosquitto: str | None, seconds: float = 3.0, publishers: int = 2) -> None:
    """Print the fleet-state table (also called by ``python -m bench.fleet --fleet-state``)."""
    for noisy in ("docks", "fleet"):  # other clients on a shared broker: "not in the registry" lines
        logging.getLogger(noisy).setLevel(logging.ERROR)
    rows = _pure_rows(16) + _pure_rows(1000)
    rows += asyncio.run(_broker_rows(mosquitto, seconds, publishers))
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'result':>16}  note")
    for what, result, note in rows:
        print(f"{what:<{width}}  {result:>16}  {note}")
    print("needed: 16 docks at 0.5 Hz = 8 msg/s; 1,000 docks at 1 Hz = 1,000 msg/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mosquitto", default=os.environ.get("SKYLOOP_TEST_MQTT_URL"), help="broker URL")
    parser.add_argument("--seconds", type=float, default=3.0, help="publishing time per broker row")
    parser.add_argument("--publishers", type=int, default=2, help="publisher processes")
    args = parser.parse_args()
    run(args.mosquitto, args.seconds, args.publishers)


if __name__ == "__main__":
    main()
