"""Prometheus metrics of the console, in a registry of its own per app (no global state, so several
apps in one process — tests — do not collide): request counts and latencies by route template,
WebSocket clients, and fleet and mission gauges read from the backend at scrape time; a backend
that also implements :class:`ServiceMetrics` adds its services' counters and gauges (alert intake,
missions launched, lead feed, grid outbox). The live view is counted by its route (viewers, frames
sent, sessions closed by code) and, when the backend has a ``relay`` with
:class:`LiveViewFigures`, by the relay (streams, frames received and skipped, start failures)."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator, Mapping
from typing import Protocol, get_args, runtime_checkable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from docks.protocol.payload import LiveFrame
from mission.api.backend import ConsoleBackend

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: The cameras a live view may ask for (``LiveFrame.camera``).
LIVE_VIEW_CAMERAS: tuple[str, ...] = get_args(LiveFrame.model_fields["camera"].annotation)
#: How a live-view session ends: its WebSocket close code, or ``normal`` (the viewer left).
LIVE_VIEW_CLOSE_CODES = ("1008", "4404", "4422", "1011", "normal")


@runtime_checkable
class ServiceMetrics(Protocol):
    """A backend's own figures: names are metric names without the ``skyloop_`` prefix."""

    def service_counters(self) -> Mapping[str, float]:
        """Totals since start (exported as counters: ``skyloop_<name>_total``)."""
        ...

    def service_gauges(self) -> Mapping[str, float]:
        """Values now (exported as gauges: ``skyloop_<name>``)."""
        ...


@runtime_checkable
class LiveViewFigures(Protocol):
    """The live-view relay's figures (:class:`mission.live_view_relay.LiveViewRelay`)."""

    @property
    def streams_active(self) -> int: ...
    @property
    def frames_received(self) -> int: ...
    @property
    def frames_skipped(self) -> int: ...
    @property
    def start_failures(self) -> int: ...


class _RelayCollector:
    """Exports the relay's figures read at scrape time (zero when the backend has no relay)."""

    def __init__(self) -> None:
        self.relay: LiveViewFigures | None = None

    def describe(self) -> list[Metric]:
        return list(self.collect())

    def collect(self) -> Iterator[Metric]:
        r = self.relay
        yield GaugeMetricFamily(
            "skyloop_live_view_streams",
            "Drones whose payload streams its live view now",
            value=r.streams_active if r else 0,
        )
        yield CounterMetricFamily(
            "skyloop_live_view_frames_received",
            "Live-view frames received from payloads",
            value=r.frames_received if r else 0,
        )
        yield CounterMetricFamily(
            "skyloop_live_view_frames_skipped",
            "Live-view frames skipped for a slow viewer (newest wins)",
            value=r.frames_skipped if r else 0,
        )
        yield CounterMetricFamily(
            "skyloop_live_view_start_failures",
            "Live-view starts or keep-alives a payload refused or did not answer",
            value=r.start_failures if r else 0,
        )


class _ServiceCollector:
    """Exports the latest :class:`ServiceMetrics` figures, read by :meth:`ApiMetrics.render`."""

    def __init__(self) -> None:
        self.counters: dict[str, float] = {}
        self.gauges: dict[str, float] = {}

    def describe(self) -> list[Metric]:
        return []  # names vary with the backend: nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        for name, value in sorted(self.counters.items()):
            yield CounterMetricFamily(f"skyloop_{name}", f"{name.replace('_', ' ')} since start", value=value)
        for name, value in sorted(self.gauges.items()):
            yield GaugeMetricFamily(f"skyloop_{name}", name.replace("_", " "), value=value)


class ApiMetrics:
    """The app's metrics; :meth:`render` refreshes the gauges and returns the text format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "skyloop_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "skyloop_http_request_duration_seconds", "Time to answer an HTTP request", ["route"], registry=r
        )
        self.ws_clients = Gauge("skyloop_live_clients", "Connected WebSocket clients", registry=r)
        self.docks = Gauge("skyloop_docks", "Registered docks by availability", ["available"], registry=r)
        self.blocked = Gauge(
            "skyloop_dock_unavailable_reasons", "Unavailable docks by reason code", ["code"], registry=r
        )
        self.drones_in_air = Gauge("skyloop_drones_in_air", "Drones flying now", registry=r)
        self.missions_active = Gauge("skyloop_missions_active", "Missions not yet finished", registry=r)
        self.live_view_viewers = Gauge(
            "skyloop_live_view_viewers",
            "Live-view viewers now, by the camera asked for",
            ["camera"],
            registry=r,
        )
        self.live_view_frames_sent = Counter(
            "skyloop_live_view_frames_sent", "Live-view frames sent to viewers", registry=r
        )
        self.live_view_closed = Counter(
            "skyloop_live_view_sessions_closed",
            "Live-view sessions ended, by close code (normal: the viewer left)",
            ["code"],
            registry=r,
        )
        for camera in LIVE_VIEW_CAMERAS:
            self.live_view_viewers.labels(camera=camera)
        for code in LIVE_VIEW_CLOSE_CODES:
            self.live_view_closed.labels(code=code)
        self.relay = _RelayCollector()
        r.register(self.relay)
        self.service = _ServiceCollector()
        r.register(self.service)

    async def render(self, backend: ConsoleBackend) -> bytes:
        docks = backend.docks()
        up = sum(1 for d in docks if d.availability.available)
        self.docks.labels(available="true").set(up)
        self.docks.labels(available="false").set(len(docks) - up)
        codes = Tally(code.value for d in docks for code in d.availability.codes)
        self.blocked.clear()
        for code, n in codes.items():
            self.blocked.labels(code=code).set(n)
        self.drones_in_air.set(sum(1 for d in backend.drones() if d.state is not None and d.state.in_air))
        self.missions_active.set(len(await backend.store.list_missions(active_only=True, limit=10_000)))
        relay = getattr(backend, "relay", None)
        self.relay.relay = relay if isinstance(relay, LiveViewFigures) else None
        if isinstance(backend, ServiceMetrics):
            self.service.counters = dict(backend.service_counters())
            self.service.gauges = dict(backend.service_gauges())
        return generate_latest(self.registry)
