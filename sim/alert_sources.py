"""The city's platforms as the sim world sees them: they watch the sim incidents and raise alerts.

- :class:`VideoAiCentre`, the video network's AI alarm centre: its cameras see fire/smoke, crowds,
  street vendors and road occupation; an operator reviews each alarm, so it is raised ``review_s``
  after the incident starts.
- :class:`SmartWaterPlatform`: raises an alarm when a person comes within ``shore_m`` of a lake's
  shore.

Both report positions in GCJ-02 by default, as Chinese map platforms do (``[alerts.sources.*] crs``),
so mission control must convert them.

Both are pure (``poll(incidents, t_s)`` returns the alerts due now, each incident at most once);
:class:`AlertPublisher` publishes them on MQTT ``alerts/{source}`` in the format of
``docs/alerts.md`` (read by ``mission.alerts.parse_alert``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from shapely.geometry import Point, Polygon

from docks.broker_url import BrokerUrl
from docks.mqtt_session import MqttSession, NotConnectedError
from docks.protocol.codec import Outgoing
from geo.crs import wgs84_to_gcj02
from payload.georef import offset_to_wgs84, wgs84_to_offset
from sim.clock import SimClock
from sim.incidents import Incident, IncidentKind

log = logging.getLogger(__name__)

ALERT_TOPIC = "alerts/{source}"
#: Alert types of the wire format (the same strings as ``mission.model.AlertType``).
FIRE_SMOKE, CROWD, STREET_VENDOR, ROAD_OCCUPATION, PERSON_NEAR_WATER = (
    "fire_smoke",
    "crowd",
    "street_vendor",
    "road_occupation",
    "person_near_water",
)


@dataclass(frozen=True)
class AlertMessage:
    """One alert as a platform sends it (``docs/alerts.md``)."""

    source: str
    external_id: str
    type: str
    lon: float
    lat: float
    crs: str
    occurred_at_s: float
    """Sim time the platform saw it (the wire carries wall-clock Unix seconds)."""
    description: str = ""
    incident_id: str = ""
    """Ground truth for tests and logs; not sent."""

    @property
    def topic(self) -> str:
        return ALERT_TOPIC.format(source=self.source)

    def to_wire(self, occurred_at_unix_s: float) -> dict[str, Any]:
        """The JSON object of ``docs/alerts.md`` (mission.alerts.parse_alert reads it)."""
        return {
            "id": self.external_id,
            "type": self.type,
            "lon": round(self.lon, 7),
            "lat": round(self.lat, 7),
            "crs": self.crs,
            "occurred_at": round(occurred_at_unix_s, 3),
            "description": self.description,
        }


def platform_position(lon_deg: float, lat_deg: float, crs: str) -> tuple[float, float]:
    """A WGS84 position as a platform working in ``crs`` (``wgs84`` or ``gcj02``) reports it."""
    if crs == "wgs84":
        return lon_deg, lat_deg
    if crs == "gcj02":
        lon, lat = wgs84_to_gcj02(lon_deg, lat_deg)
        return float(lon), float(lat)
    raise ValueError(f"the sim platforms speak wgs84 or gcj02, not {crs!r}")


@dataclass
class VideoAiCentre:
    """The video network's AI alarm centre. ``reported_as`` overrides the alert type per incident id
    (e.g. a row of stalls on a carriageway is ``road_occupation``, not ``street_vendor``)."""

    review_s: float = 45.0
    source: str = "video_ai"
    crs: str = "gcj02"
    reported_as: dict[str, str] = field(default_factory=dict)
    kinds: Mapping[IncidentKind, str] = field(
        default_factory=lambda: {
            IncidentKind.FIRE: FIRE_SMOKE,
            IncidentKind.CROWD: CROWD,
            IncidentKind.STALLS: STREET_VENDOR,
        }
    )
    _raised: set[str] = field(default_factory=set)

    def poll(self, incidents: Sequence[Incident], t_s: float) -> list[AlertMessage]:
        out = []
        for inc in incidents:
            kind = self.reported_as.get(inc.incident_id) or self.kinds.get(inc.kind)
            if kind is None or inc.incident_id in self._raised:
                continue
            if inc.active(t_s) and t_s >= inc.start_s + self.review_s:
                self._raised.add(inc.incident_id)
                lon, lat = platform_position(inc.lon_deg, inc.lat_deg, self.crs)
                out.append(
                    AlertMessage(
                        self.source,
                        f"{self.source}-{inc.incident_id}",
                        kind,
                        lon,
                        lat,
                        self.crs,
                        t_s,
                        f"camera AI: {kind.replace('_', ' ')} (reviewed by the alarm centre)",
                        inc.incident_id,
                    )
                )
        return out


@dataclass(frozen=True)
class Lake:
    """A lake's water area: its exterior ring as WGS84 (lon, lat)."""

    name: str
    ring_lonlat: tuple[tuple[float, float], ...]

    def shore_distance_m(self, lon_deg: float, lat_deg: float) -> float:
        """Distance from a point to the water's edge, m (0 inside the water)."""
        ring = np.asarray(self.ring_lonlat, dtype=np.float64)
        lons, lats = ring[:, 0], ring[:, 1]
        north, east = wgs84_to_offset(lon_deg, lat_deg, lons, lats)
        return float(Polygon(list(zip(east, north, strict=True))).distance(Point(0.0, 0.0)))


@dataclass
class SmartWaterPlatform:
    """The smart-water platform: a person within ``shore_m`` of a lake raises an alarm (in GCJ-02)."""

    lakes: Sequence[Lake]
    shore_m: float = 15.0
    review_s: float = 5.0
    source: str = "smart_water"
    crs: str = "gcj02"
    _raised: set[str] = field(default_factory=set)

    def poll(self, incidents: Sequence[Incident], t_s: float) -> list[AlertMessage]:
        out = []
        for inc in incidents:
            if inc.kind is not IncidentKind.PERSON or inc.incident_id in self._raised:
                continue
            if not (inc.active(t_s) and t_s >= inc.start_s + self.review_s):
                continue
            near = [
                lake for lake in self.lakes if lake.shore_distance_m(inc.lon_deg, inc.lat_deg) <= self.shore_m
            ]
            if not near:
                continue
            self._raised.add(inc.incident_id)
            lon, lat = platform_position(inc.lon_deg, inc.lat_deg, self.crs)
            out.append(
                AlertMessage(
                    self.source,
                    f"{self.source}-{inc.incident_id}",
                    PERSON_NEAR_WATER,
                    lon,
                    lat,
                    self.crs,
                    t_s,
                    f"person at the shore of {near[0].name}",
                    inc.incident_id,
                )
            )
        return out


class AlertSource(Protocol):
    """What :class:`AlertPublisher` polls (both platforms above)."""

    @property
    def source(self) -> str: ...

    def poll(self, incidents: Sequence[Incident], t_s: float) -> list[AlertMessage]: ...


class AlertPublisher:
    """Polls the platforms every ``poll_s`` sim seconds and publishes their alerts (QoS 1).
    ``run()`` until cancelled; ``sent`` keeps what went out (for logs and tests)."""

    def __init__(
        self,
        sources: Sequence[AlertSource],
        incidents: Callable[[], Sequence[Incident]],
        url: BrokerUrl,
        clock: SimClock,
        poll_s: float = 1.0,
        wall_s: Callable[[], float] = time.time,
    ) -> None:
        self.sources = list(sources)
        self.incidents = incidents
        self.clock = clock
        self.poll_s = poll_s
        self.wall_s = wall_s
        self.sent: list[AlertMessage] = []
        self.session = MqttSession(
            url,
            client_id=f"sim-alert-sources-{id(self) % 100000}",
            subscriptions=[],
            on_message=lambda _topic, _payload: None,
            reconnect_max_s=2.0,
        )

    async def run(self) -> None:
        async with self.session:
            pending: list[AlertMessage] = []
            while True:
                t_s = self.clock.now_s()
                for src in self.sources:
                    pending.extend(src.poll(self.incidents(), t_s))
                while pending:
                    msg = pending[0]
                    lag_s = max(0.0, (t_s - msg.occurred_at_s) / self.clock.speed)
                    body = json.dumps(msg.to_wire(self.wall_s() - lag_s)).encode()
                    try:
                        await self.session.publish(Outgoing(msg.topic, body, 1), wait_s=5.0)
                    except NotConnectedError as exc:  # keep it; try again on the next poll
                        log.warning("alert %s not published yet: %s", msg.external_id, exc)
                        break
                    self.sent.append(pending.pop(0))
                    log.info("alert %s %s at %.6f,%.6f", msg.topic, msg.type, msg.lon, msg.lat)
                await self.clock.sleep(self.poll_s)


def ring_from_offsets(
    origin_lon_deg: float, origin_lat_deg: float, east_north_m: Sequence[tuple[float, float]]
) -> tuple[tuple[float, float], ...]:
    """A WGS84 ring from points given in metres east/north of an origin (a sim scene's water)."""
    pts = np.asarray(east_north_m, dtype=np.float64)
    east, north = pts[:, 0], pts[:, 1]
    lon, lat = offset_to_wgs84(origin_lon_deg, origin_lat_deg, north, east)
    return tuple((float(a), float(b)) for a, b in zip(lon, lat, strict=True))
