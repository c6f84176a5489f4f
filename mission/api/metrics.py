"""Prometheus metrics of the console, in a registry of its own per app (no global state, so several
apps in one process — tests — do not collide): request counts and latencies by route template,
WebSocket clients, and fleet and mission gauges read from the backend at scrape time; a backend
that also implements :class:`ServiceMetrics` adds its services' counters and gauges (alert intake,
missions launched, lead feed, grid outbox)."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator, Mapping
from typing import Protocol, runtime_checkable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from mission.api.backend import ConsoleBackend

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@runtime_checkable
class ServiceMetrics(Protocol):
    """A backend's own figures: names are metric names without the ``skyloop_`` prefix."""

    def service_counters(self) -> Mapping[str, float]:
        """Totals since start (exported as counters: ``skyloop_<name>_total``)."""
        ...

    def service_gauges(self) -> Mapping[str, float]:
        """Values now (exported as gauges: ``skyloop_<name>``)."""
        ...


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
        if isinstance(backend, ServiceMetrics):
            self.service.counters = dict(backend.service_counters())
            self.service.gauges = dict(backend.service_gauges())
        return generate_latest(self.registry)
