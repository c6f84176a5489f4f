"""The vehicle side of the MAVLink mission protocol, driven with real pymavlink messages."""

from __future__ import annotations

from pymavlink.dialects.v20 import common as mavlink2

from sim.vehicle.mission import (
    MAX_RETRIES,
    MISSION_ACCEPTED,
    MISSION_ERROR,
    MISSION_INVALID_SEQUENCE,
    MISSION_UNSUPPORTED,
    MISSION_UNSUPPORTED_FRAME,
    RETRY_S,
    MissionItem,
    MissionProtocol,
)

GCS = mavlink2.MAVLink(None, srcSystem=245, srcComponent=190)


def decoded(msg: mavlink2.MAVLink_message) -> mavlink2.MAVLink_message:
    """Pack and parse ``msg`` as the other side would receive it."""
    parser = mavlink2.MAVLink(None)
    out = parser.parse_buffer(msg.pack(GCS))
    assert out is not None and len(out) == 1
    return out[0]


class Harness:
    def __init__(self) -> None:
        self.plans: list[tuple[int, list[MissionItem]]] = []
        self.current: list[int] = []
        self.proto = MissionProtocol(mavlink2.MAVLink(None, 1, 1), self._plan, self._set_current)

    def _plan(self, mission_type: int, items: list[MissionItem]) -> None:
        self.plans.append((mission_type, items))

    def _set_current(self, seq: int) -> bool:
        self.current.append(seq)
        return True

    def send(self, msg: mavlink2.MAVLink_message, now_s: float = 0.0) -> list[mavlink2.MAVLink_message]:
        return self.proto.handle(decoded(msg), now_s)


def item(seq: int, frame: int = 6, command: int = 16) -> mavlink2.MAVLink_message:
    return GCS.mission_item_int_encode(
        1, 1, seq, frame, command, 0, 1, 0, 1, 0, 0, 473700000 + seq, 85400000, 20.0
    )


def upload(h: Harness, n: int) -> list[mavlink2.MAVLink_message]:
    replies = h.send(GCS.mission_count_encode(1, 1, n, 0))
    for seq in range(n):
        assert [(r.get_type(), r.seq) for r in replies] == [("MISSION_REQUEST_INT", seq)]
        assert (replies[0].target_system, replies[0].target_component) == (245, 190)
        replies = h.send(item(seq))
    return replies


def test_upload_requests_every_item_then_acks() -> None:
    h = Harness()
    replies = upload(h, 3)
    assert [(r.get_type(), r.type) for r in replies] == [("MISSION_ACK", MISSION_ACCEPTED)]
    assert len(h.plans) == 1 and h.plans[0][0] == 0
    assert [it.seq for it in h.plans[0][1]] == [0, 1, 2]
    assert h.plans[0][1][2].x == 473700002


def test_download_returns_what_was_uploaded() -> None:
    h = Harness()
    upload(h, 2)
    (count,) = h.send(GCS.mission_request_list_encode(1, 1, 0))
    assert count.get_type() == "MISSION_COUNT" and count.count == 2
    (it,) = h.send(GCS.mission_request_int_encode(1, 1, 1, 0))
    assert it.get_type() == "MISSION_ITEM_INT" and it.seq == 1 and it.z == 20.0 and it.command == 16
    (bad,) = h.send(GCS.mission_request_int_encode(1, 1, 5, 0))
    assert bad.get_type() == "MISSION_ACK" and bad.type == MISSION_INVALID_SEQUENCE


def test_empty_upload_and_clear_all() -> None:
    h = Harness()
    upload(h, 2)
    (ack,) = h.send(GCS.mission_clear_all_encode(1, 1, 0))
    assert ack.type == MISSION_ACCEPTED and h.plans[-1] == (0, [])
    (ack,) = h.send(GCS.mission_count_encode(1, 1, 0, 0))
    assert ack.type == MISSION_ACCEPTED
    (count,) = h.send(GCS.mission_request_list_encode(1, 1, 0))
    assert count.count == 0


def test_lost_item_is_re_requested_then_the_transfer_gives_up() -> None:
    h = Harness()
    h.send(GCS.mission_count_encode(1, 1, 2, 0), now_s=0.0)
    assert h.proto.poll(RETRY_S / 2) == []
    t = 0.0
    for _ in range(MAX_RETRIES):
        t += RETRY_S
        (again,) = h.proto.poll(t)
        assert again.get_type() == "MISSION_REQUEST_INT" and again.seq == 0
    (ack,) = h.proto.poll(t + RETRY_S)
    assert ack.get_type() == "MISSION_ACK" and ack.type == MISSION_ERROR
    assert not h.proto.busy and h.plans == []


def test_duplicate_item_re_requests_the_awaited_one() -> None:
    h = Harness()
    h.send(GCS.mission_count_encode(1, 1, 3, 0))
    h.send(item(0))
    (again,) = h.send(item(0))
    assert again.get_type() == "MISSION_REQUEST_INT" and again.seq == 1


def test_float_protocol_and_bad_frames_are_refused() -> None:
    h = Harness()
    (nack,) = h.send(GCS.mission_request_encode(1, 1, 0, 0))
    assert nack.get_type() == "MISSION_ACK" and nack.type == MISSION_UNSUPPORTED
    h.send(GCS.mission_count_encode(1, 1, 1, 0))
    (nack,) = h.send(item(0, frame=1))  # MAV_FRAME_LOCAL_NED
    assert nack.type == MISSION_UNSUPPORTED_FRAME and h.plans == []


def test_fence_plans_are_stored_apart_from_the_mission() -> None:
    h = Harness()
    upload(h, 1)
    (req,) = h.send(GCS.mission_count_encode(1, 1, 1, 1))
    assert req.mission_type == 1
    (ack,) = h.send(GCS.mission_item_int_encode(1, 1, 0, 5, 5003, 0, 1, 4, 0, 0, 0, 1, 1, 0, 1))
    assert ack.type == MISSION_ACCEPTED and ack.mission_type == 1
    assert [t for t, _ in h.plans] == [0, 1]
    (count,) = h.send(GCS.mission_request_list_encode(1, 1, 0))
    assert count.count == 1


def test_set_current_is_forwarded() -> None:
    h = Harness()
    h.send(GCS.mission_set_current_encode(1, 1, 2))
    assert h.current == [2]


def test_messages_for_another_partner_are_ignored_mid_transfer() -> None:
    h = Harness()
    h.send(GCS.mission_count_encode(1, 1, 2, 0))
    other = mavlink2.MAVLink(None, srcSystem=255, srcComponent=190)
    stray = other.mission_item_int_encode(1, 1, 0, 6, 16, 0, 1, 0, 1, 0, 0, 1, 1, 10.0)
    parsed = mavlink2.MAVLink(None).parse_buffer(stray.pack(other))
    assert parsed is not None
    assert h.proto.handle(parsed[0], 0.0) == []
