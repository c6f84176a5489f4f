"""The MAVLink mission protocol, vehicle side, as PX4 answers it: upload (MISSION_COUNT →
MISSION_REQUEST_INT × n → MISSION_ITEM_INT × n → MISSION_ACK), download, clear, set current.

:class:`MissionProtocol` is a state machine over pymavlink messages: :meth:`handle` takes one incoming
message and returns the replies, :meth:`poll` re-requests a lost item after :data:`RETRY_S`. It owns
no socket and no clock; stored plans are handed to ``on_plan`` (mission type 0 is the one flown).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from pymavlink.dialects.v20 import common as mavlink2
from pymavlink.dialects.v20.common import MAVLink_message as MavMessage

# MAV_MISSION_RESULT
MISSION_ACCEPTED = 0
MISSION_ERROR = 1
MISSION_UNSUPPORTED_FRAME = 2
MISSION_UNSUPPORTED = 3
MISSION_NO_SPACE = 4
MISSION_INVALID_SEQUENCE = 13
MISSION_DENIED = 14

MISSION_TYPE_MISSION, MISSION_TYPE_FENCE, MISSION_TYPE_RALLY = 0, 1, 2
SUPPORTED_FRAMES = frozenset({0, 2, 3, 5, 6})  # GLOBAL, MISSION, GLOBAL_RELATIVE_ALT, *_INT
MAX_ITEMS = 1000
#: PX4's MAVLINK_MISSION_RETRY_TIMEOUT_DEFAULT (250 ms) and its protocol timeout (5 s): an upload
#: whose next item does not come after 20 re-requests is given up (wall seconds, see MissionRunner).
RETRY_S = 0.25
MAX_RETRIES = 20


@dataclass(frozen=True)
class MissionItem:
    """One MISSION_ITEM_INT as stored on the vehicle (x/y in degE7, z per ``frame``)."""

    seq: int
    frame: int
    command: int
    current: int
    autocontinue: int
    param1: float
    param2: float
    param3: float
    param4: float
    x: int
    y: int
    z: float
    mission_type: int = MISSION_TYPE_MISSION

    @classmethod
    def from_msg(cls, m: MavMessage) -> MissionItem:
        return cls(
            m.seq, m.frame, m.command, m.current, m.autocontinue,
            m.param1, m.param2, m.param3, m.param4, m.x, m.y, m.z, getattr(m, "mission_type", 0),
        )  # fmt: skip

    @property
    def lat_deg(self) -> float:
        return self.x / 1e7 if self.x != 0 else math.nan

    @property
    def lon_deg(self) -> float:
        return self.y / 1e7 if self.y != 0 else math.nan


@dataclass
class _Upload:
    partner: tuple[int, int]
    mission_type: int
    count: int
    items: list[MissionItem]
    last_request_s: float
    retries: int = 0


class MissionProtocol:
    """Vehicle side of the mission micro-service for one vehicle."""

    def __init__(
        self,
        mav: mavlink2.MAVLink,
        on_plan: Callable[[int, list[MissionItem]], None],
        on_set_current: Callable[[int], bool],
    ) -> None:
        self.mav = mav
        self.plans: dict[int, list[MissionItem]] = {}
        self._on_plan = on_plan
        self._on_set_current = on_set_current
        self._upload: _Upload | None = None

    def handle(self, msg: MavMessage, now_s: float) -> list[MavMessage]:
        """Replies to one incoming MISSION_* message."""
        kind = msg.get_type()
        src = (msg.get_srcSystem(), msg.get_srcComponent())
        mtype = getattr(msg, "mission_type", 0)
        if kind == "MISSION_COUNT":
            return self._start_upload(src, mtype, msg.count, now_s)
        if kind == "MISSION_ITEM_INT":
            return self._item(src, msg, now_s)
        if kind == "MISSION_ITEM":  # float items: PX4 accepts neither in INT mode; tell the GCS
            return [self._ack(src, MISSION_UNSUPPORTED, mtype)]
        if kind == "MISSION_REQUEST_LIST":
            return [self.mav.mission_count_encode(src[0], src[1], len(self.plans.get(mtype, [])), mtype)]
        if kind == "MISSION_REQUEST_INT":
            return self._send_item(src, mtype, msg.seq)
        if kind == "MISSION_REQUEST":  # legacy float request: NACK like PX4 in INT mode
            return [self._ack(src, MISSION_UNSUPPORTED, mtype)]
        if kind == "MISSION_CLEAR_ALL":
            self._upload = None
            for t in [0, 1, 2] if mtype == 255 else [mtype]:
                self.plans[t] = []
                self._on_plan(t, [])
            return [self._ack(src, MISSION_ACCEPTED, mtype if mtype != 255 else 0)]
        if kind == "MISSION_SET_CURRENT":
            self._on_set_current(msg.seq)
            return []
        return []  # MISSION_ACK from the GCS ends a download: nothing to do

    def poll(self, now_s: float) -> list[MavMessage]:
        """Re-request the awaited item when the GCS did not answer; give up after MAX_RETRIES."""
        up = self._upload
        if up is None or now_s - up.last_request_s < RETRY_S:
            return []
        if up.retries >= MAX_RETRIES:
            self._upload = None
            return [self._ack(up.partner, MISSION_ERROR, up.mission_type)]
        up.retries += 1
        return [self._request(up, now_s)]

    @property
    def busy(self) -> bool:
        return self._upload is not None

    def _ack(self, partner: tuple[int, int], result: int, mtype: int) -> MavMessage:
        return self.mav.mission_ack_encode(partner[0], partner[1], result, mtype)

    def _request(self, up: _Upload, now_s: float) -> MavMessage:
        up.last_request_s = now_s
        return self.mav.mission_request_int_encode(
            up.partner[0], up.partner[1], len(up.items), up.mission_type
        )

    def _start_upload(self, src: tuple[int, int], mtype: int, count: int, now_s: float) -> list[MavMessage]:
        if mtype not in (MISSION_TYPE_MISSION, MISSION_TYPE_FENCE, MISSION_TYPE_RALLY):
            return [self._ack(src, MISSION_UNSUPPORTED, mtype)]
        if count > MAX_ITEMS:
            return [self._ack(src, MISSION_NO_SPACE, mtype)]
        if count == 0:
            self._upload = None
            self.plans[mtype] = []
            self._on_plan(mtype, [])
            return [self._ack(src, MISSION_ACCEPTED, mtype)]
        self._upload = _Upload(src, mtype, count, [], now_s)  # a new COUNT restarts any transfer
        return [self._request(self._upload, now_s)]

    def _item(self, src: tuple[int, int], msg: MavMessage, now_s: float) -> list[MavMessage]:
        up = self._upload
        if up is None or src != up.partner:
            return []  # stray item: PX4 ignores it
        if msg.seq != len(up.items):
            return [self._request(up, now_s)] if msg.seq < len(up.items) else []
        item = MissionItem.from_msg(msg)
        if item.frame not in SUPPORTED_FRAMES:
            self._upload = None
            return [self._ack(src, MISSION_UNSUPPORTED_FRAME, up.mission_type)]
        up.items.append(item)
        up.retries = 0
        if len(up.items) < up.count:
            return [self._request(up, now_s)]
        self._upload = None
        self.plans[up.mission_type] = up.items
        self._on_plan(up.mission_type, up.items)
        return [self._ack(src, MISSION_ACCEPTED, up.mission_type)]

    def _send_item(self, src: tuple[int, int], mtype: int, seq: int) -> list[MavMessage]:
        plan = self.plans.get(mtype, [])
        if not 0 <= seq < len(plan):
            return [self._ack(src, MISSION_INVALID_SEQUENCE, mtype)]
        it = plan[seq]
        return [
            self.mav.mission_item_int_encode(
                src[0],
                src[1],
                it.seq,
                it.frame,
                it.command,
                it.current,
                it.autocontinue,
                it.param1,
                it.param2,
                it.param3,
                it.param4,
                it.x,
                it.y,
                it.z,
                mtype,
            )
        ]
