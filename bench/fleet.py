"""Benchmark of the dock link over MQTT: ``python -m bench.fleet``.

For each broker (embedded amqtt always; Mosquitto when reachable at ``SKYLOOP_TEST_MQTT_URL``,
``--mosquitto URL`` or 127.0.0.1:1883) prints one table:

* **ceiling**: OSD messages per second decoded into a per-dock state table by one
  :class:`docks.mqtt_link.MqttDockLink`, with 2 publisher processes flat out (QoS 0, 1,000 serials);
* **16 docks at 0.5 Hz** and **1,000 docks at 1 Hz**: paced publishers (in another process); messages
  received per second, loss, and publish-to-decoded latency p50/p99 (from the envelope's ms timestamp);
* **service round trip**: ``charge_stop`` to a device client that answers at once, p50/p99 over
  ``--calls`` sequential calls.

Mission control is one process: everything it receives is decoded in it, so the ceiling is its own.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import os
import socket
import statistics
import time
from dataclasses import dataclass

import aiomqtt

from docks.broker import EmbeddedBroker
from docks.broker_url import BrokerUrl, parse_broker_url
from docks.model import ChargeState, CoverState, DockMode
from docks.mqtt_device import MqttDeviceClient
from docks.mqtt_link import MqttDockLink
from docks.protocol import Channel, ChargeOutput, DockOsd, Message, build
from docks.result_codes import ResultCode
from docks.settings import MqttSettings

OSD = DockOsd(
    mode=DockMode.IDLE,
    cover_state=CoverState.CLOSED,
    drone_in_dock=True,
    drone_battery_pct=77.5,
    wind_speed_mps=3.1,
    environment_temperature_c=21.0,
    latitude_deg=34.8,
    longitude_deg=113.8,
)


#: Messages decoded up to this long after the last publish still count.
DRAIN_S = 2.0


def _serials(count: int, letter: str) -> list[str]:
    """Serials unique to this run (a shared broker may carry other devices)."""
    return [f"{letter}{os.getpid()}x{i:04d}" for i in range(count)]


async def _publish(url: BrokerUrl, serials: list[str], rate_hz: float | None, seconds: float) -> int:
    """Publish OSD for ``serials``: each at ``rate_hz``, or flat out when None. Returns messages sent."""
    sent = 0
    async with aiomqtt.Client(url.host, url.port, protocol=aiomqtt.ProtocolVersion.V311) as client:
        start = time.monotonic()
        tick = 0
        while time.monotonic() - start < seconds:
            for sn in serials:
                out = build(Channel.OSD, sn, "dock_osd", OSD)
                await client.publish(out.topic, out.payload, qos=0)
                sent += 1
            if rate_hz is None:
                continue
            tick += 1
            delay = start + tick / rate_hz - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        await asyncio.sleep(0.2)
    return sent


def _publisher(
    url: BrokerUrl, serials: list[str], rate_hz: float | None, seconds: float, out: mp.Queue[int]
) -> None:
    out.put(asyncio.run(_publish(url, serials, rate_hz, seconds)))


@dataclass
class Ingest:
    decoded: int = 0
    first_s: float = 0.0
    last_s: float = 0.0
    latencies_ms: list[float] | None = None


async def _ingest(
    url: BrokerUrl, serials: list[str], rate_hz: float | None, seconds: float, procs: int
) -> tuple[Ingest, int]:
    state: dict[str, DockOsd] = {}
    ingest = Ingest(latencies_ms=[])
    settings = MqttSettings(max_payload_bytes=65_536)

    prefix = serials[0].split("x")[0] + "x"

    def on_message(message: Message) -> None:
        if isinstance(message.body, DockOsd) and message.sn.startswith(prefix):
            now = time.time()
            state[message.sn] = message.body
            if ingest.decoded == 0:
                ingest.first_s = time.monotonic()
            ingest.decoded += 1
            ingest.last_s = time.monotonic()
            assert ingest.latencies_ms is not None
            ingest.latencies_ms.append(now * 1000.0 - message.envelope.timestamp)

    async with MqttDockLink(url, settings, client_id=f"bench-{os.getpid()}-{len(serials)}") as link:
        link.add_listener(on_message)
        await link.wait_connected(10)
        ctx = mp.get_context("spawn")
        queue: mp.Queue[int] = ctx.Queue()
        chunks = [serials[i::procs] for i in range(procs)]
        workers = [
            ctx.Process(target=_publisher, args=(url, c, rate_hz, seconds, queue)) for c in chunks if c
        ]
        for w in workers:
            w.start()
        sent = 0
        for _ in workers:
            sent += await asyncio.to_thread(queue.get)
        for w in workers:
            await asyncio.to_thread(w.join)
        await asyncio.sleep(DRAIN_S)
    return ingest, sent


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _round_trips(url: BrokerUrl, calls: int) -> list[float]:
    async def answer(message: Message) -> tuple[int, ChargeOutput]:
        return ResultCode.OK, ChargeOutput(charge_state=ChargeState.IDLE, drone_battery_pct=50.0)

    settings = MqttSettings()
    sn = f"RTT{os.getpid()}"
    times: list[float] = []
    async with MqttDockLink(url, settings, client_id=f"bench-rtt-{os.getpid()}", devices=[sn]) as link:
        await link.wait_connected(10)
        async with MqttDeviceClient(url, sn, answer, settings=settings) as device:
            await device.session.wait_connected(10)
            for _ in range(calls):
                t0 = time.perf_counter()
                await link.call(sn, "charge_stop", timeout_s=10)
                times.append((time.perf_counter() - t0) * 1000.0)
    return times


async def bench_broker(name: str, broker: EmbeddedBroker | BrokerUrl, seconds: float, calls: int) -> None:
    """One table; an embedded broker is restarted between cases so no backlog spills over."""
    url = broker.url if isinstance(broker, EmbeddedBroker) else broker
    print(f"\n## {name} ({url})\n")
    head = ("measure", "sent", "decoded", "msg/s", "loss %", "p50 ms", "p99 ms")
    print(f"| {head[0]:<34} | " + " | ".join(f"{h:>8}" for h in head[1:]) + " |")
    print(f"|{'-' * 36}|" + "|".join("-" * 10 for _ in head[1:]) + "|")
    cases = [
        ("ceiling (2 publishers flat out)", _serials(1000, "C"), None, 2),
        ("16 docks at 0.5 Hz", _serials(16, "S"), 0.5, 1),
        ("1,000 docks at 1 Hz", _serials(1000, "K"), 1.0, 2),
    ]
    for label, serials, rate, procs in cases:
        if isinstance(broker, EmbeddedBroker):
            await broker.stop()
            await broker.start()
        ingest, sent = await _ingest(url, serials, rate, seconds, procs)
        span = max(ingest.last_s - ingest.first_s, 1e-9)
        rate_mps = ingest.decoded / span if ingest.decoded > 1 else 0.0
        loss = 100.0 * (1 - ingest.decoded / sent) if sent else float("nan")
        lat = ingest.latencies_ms or []
        _row(label, sent, ingest.decoded, rate_mps, loss, _pct(lat, 0.5), _pct(lat, 0.99))
    rtt = await _round_trips(url, calls)
    _row(
        "service round trip (charge_stop)",
        calls,
        len(rtt),
        calls / (sum(rtt) / 1000.0),
        0.0,
        statistics.median(rtt),
        _pct(rtt, 0.99),
    )


def _row(label: str, sent: int, got: int, rate: float, loss: float, p50: float, p99: float) -> None:
    print(
        f"| {label:<34} | {sent:>8} | {got:>8} | {rate:>8.0f} | {loss:>8.1f} | {p50:>8.1f} | {p99:>8.1f} |",
        flush=True,
    )


def _reachable(url: BrokerUrl) -> bool:
    try:
        with socket.create_connection((url.host, url.port), timeout=1.0):
            return True
    except OSError:
        return False


async def main_async(args: argparse.Namespace) -> None:
    async with EmbeddedBroker() as broker:
        await bench_broker("embedded amqtt (in this process)", broker, args.seconds, args.calls)
    raw = args.mosquitto or os.environ.get("SKYLOOP_TEST_MQTT_URL") or "mqtt://127.0.0.1:1883"
    url = parse_broker_url(raw)
    if _reachable(url):
        await bench_broker("Mosquitto", url, args.seconds, args.calls)
    else:
        print(f"\nMosquitto at {url} unreachable: skipped")


def main() -> None:
    logging.basicConfig(level=logging.ERROR)  # other devices on a shared broker may be invalid: not ours
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="publishing time per case (default 5)")
    parser.add_argument("--calls", type=int, default=300, help="service round trips (default 300)")
    parser.add_argument("--mosquitto", default=None, help="Mosquitto URL (default $SKYLOOP_TEST_MQTT_URL)")
    parser.add_argument(
        "--no-fleet-state",
        dest="fleet_state",
        action="store_false",
        help="skip the fleet manager's table (bench.fleet_state) that follows by default",
    )
    args = parser.parse_args()
    print(
        f"# bench.fleet: MQTT ingest and service round trips ({args.seconds:g} s per case, "
        f"{os.cpu_count()} CPUs shared by publishers, broker and link)"
    )
    asyncio.run(main_async(args))
    if args.fleet_state:
        fleet_state_part(args)


def fleet_state_part(args: argparse.Namespace) -> None:
    """The fleet manager's part: OSD through the broker into fleet state (``FleetManager``), the stale
    sweep, availability and candidates, the JSON state file — see :mod:`bench.fleet_state`."""
    from bench import fleet_state

    print("\n# bench.fleet_state: into the fleet manager's state")
    mosquitto = args.mosquitto or os.environ.get("SKYLOOP_TEST_MQTT_URL") or "mqtt://127.0.0.1:1883"
    fleet_state.run(mosquitto, seconds=args.seconds)


if __name__ == "__main__":
    main()
