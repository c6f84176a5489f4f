import json
from typing import Any

import pytest

from docks.model import ChargeState, CoverState, DockMode, HmsLevel, TaskStatus
from docks.protocol import (
    Channel,
    ChargeOutput,
    DockOsd,
    FlighttaskPrepare,
    FlighttaskProgress,
    Hms,
    HmsAlert,
    ProtocolError,
    ServiceReply,
    build,
    decode,
    event_ack,
    parse_topic,
    reply,
    services,
    topic,
)
from docks.protocol.payload import AiDetection, Detection, SpeakerTtsPlayStart, Tts
from docks.result_codes import ResultCode, describe

SN = "DOCK01"


def osd() -> DockOsd:
    return DockOsd(
        mode=DockMode.IDLE,
        cover_state=CoverState.CLOSED,
        drone_in_dock=True,
        drone_battery_pct=64.0,
        charge_state=ChargeState.CHARGING,
        wind_speed_mps=3.2,
        environment_temperature_c=18.5,
        latitude_deg=34.77,
        longitude_deg=113.77,
    )


def test_topics_round_trip() -> None:
    for channel in Channel:
        assert parse_topic(topic(channel, SN)) == (channel, SN)
    assert topic(Channel.STATUS, SN) == "sys/product/DOCK01/status"
    assert topic(Channel.OSD, "+") == "thing/product/+/osd"


@pytest.mark.parametrize(
    "name",
    ["thing/product/DOCK01/nope", "sys/product/DOCK01/osd", "thing/product/DOCK01/status", "a/b", ""],
)
def test_foreign_topics_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        parse_topic(name)


def test_serials_with_wildcards_are_refused() -> None:
    with pytest.raises(ValueError):
        topic(Channel.OSD, "DOCK/01")
    with pytest.raises(ValueError):
        topic(Channel.OSD, "#")


def test_osd_round_trip_keeps_every_field() -> None:
    out = build(Channel.OSD, SN, "dock_osd", osd())
    assert out.qos == 0
    msg = decode(out.topic, out.payload)
    assert msg.channel is Channel.OSD and msg.sn == SN and msg.method == "dock_osd"
    assert msg.body == osd()


def test_envelope_has_the_documented_fields() -> None:
    out = build(Channel.SERVICES, SN, "cover_open", bid="flight-7")
    raw = json.loads(out.payload)
    assert set(raw) == {"tid", "bid", "timestamp", "gateway", "method", "data"}
    assert raw["bid"] == "flight-7" and raw["gateway"] == SN and raw["data"] == {}


def test_reply_pairs_with_request_and_validates_output() -> None:
    request = build(Channel.SERVICES, SN, "charge_start")
    assert request.envelope is not None
    answer = reply(request.envelope, ResultCode.OK, ChargeOutput(charge_state=ChargeState.CHARGING))
    msg = decode(answer.topic, answer.payload)
    assert msg.envelope.tid == request.envelope.tid and msg.envelope.bid == request.envelope.bid
    assert isinstance(msg.body, ServiceReply) and msg.body.ok
    assert msg.output == ChargeOutput(charge_state=ChargeState.CHARGING)


def test_failed_reply_carries_the_code() -> None:
    request = build(Channel.SERVICES, SN, "cover_open")
    assert request.envelope is not None
    msg = decode(*_tp(reply(request.envelope, ResultCode.COVER_FAULT)))
    assert isinstance(msg.body, ServiceReply)
    assert msg.body.result == ResultCode.COVER_FAULT and not msg.body.ok and msg.output is None


def _tp(out: Any) -> tuple[str, bytes]:
    return out.topic, out.payload


def test_every_service_has_a_request_model() -> None:
    expected = {
        "cover_open", "cover_close", "flighttask_prepare", "charge_start", "charge_stop", "device_reboot",
        "ai_detect_start", "ai_detect_stop", "ir_measure_point", "ir_measure_area",
        "speaker_tts_play_start", "speaker_audio_play_start", "speaker_play_stop",
    }  # fmt: skip
    assert expected <= set(services())


def test_events_and_acks() -> None:
    progress = FlighttaskProgress(flight_id="f1", status=TaskStatus.IN_PROGRESS, step="cover_opening")
    msg = decode(*_tp(build(Channel.EVENTS, SN, "flighttask_progress", progress)))
    assert msg.body == progress
    hms = Hms(alerts=(HmsAlert(code="cover_stuck", level=HmsLevel.WARNING, module="cover", message="x"),))
    out = build(Channel.EVENTS, SN, "hms", hms, need_reply=True)
    msg = decode(out.topic, out.payload)
    assert msg.envelope.need_reply is True
    ack = decode(*_tp(event_ack(msg.envelope)))
    assert ack.channel is Channel.EVENTS_REPLY and ack.envelope.tid == msg.envelope.tid


def test_payload_messages_round_trip() -> None:
    tts = SpeakerTtsPlayStart(tts=Tts(name="warn", text="Please step back from the water"))
    msg = decode(*_tp(build(Channel.SERVICES, "PAYLOAD01", "speaker_tts_play_start", tts)))
    assert msg.body == tts
    det = AiDetection(
        frame_timestamp_ms=1,
        detections=(Detection(label="person", confidence=0.8, x=0.1, y=0.2, width=0.05, height=0.1),),
    )
    assert decode(*_tp(build(Channel.EVENTS, "PAYLOAD01", "ai_detection", det))).body == det


def _raw(**over: Any) -> bytes:
    env: dict[str, Any] = {
        "tid": "t", "bid": "b", "timestamp": 1, "gateway": SN, "method": "flighttask_prepare",
        "data": {"flight_id": "f1"},
    }  # fmt: skip
    env.update(over)
    return json.dumps(env).encode()


SERVICES_TOPIC = topic(Channel.SERVICES, SN)


def test_valid_raw_request_decodes() -> None:
    assert decode(SERVICES_TOPIC, _raw()).body == FlighttaskPrepare(flight_id="f1")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "malformed JSON"),
        (b"[1, 2]", "invalid envelope"),
        (_raw(timestamp=-5), "invalid envelope"),
        (_raw(extra_field=1), "invalid envelope"),
        (_raw(gateway="DOCK02"), "is not the topic's device"),
        (_raw(data={"flight_id": ""}), "invalid flighttask_prepare data"),
        (_raw(data={"flight_id": "f", "typo": 1}), "invalid flighttask_prepare data"),
        (_raw(method="self_destruct"), "unknown method"),
    ],
)
def test_bad_payloads_are_refused_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError) as info:
        decode(SERVICES_TOPIC, payload)
    assert reason in info.value.reason
    assert info.value.topic == SERVICES_TOPIC


def test_unknown_method_keeps_the_envelope_for_the_answer() -> None:
    with pytest.raises(ProtocolError) as info:
        decode(SERVICES_TOPIC, _raw(method="self_destruct"))
    assert info.value.code is ResultCode.UNKNOWN_METHOD
    assert info.value.envelope is not None and info.value.envelope.tid == "t"


def test_oversized_payload_is_refused_unread() -> None:
    with pytest.raises(ProtocolError, match="exceeds 100"):
        decode(SERVICES_TOPIC, b" " * 101, max_bytes=100)
    with pytest.raises(ProtocolError, match="exceeds"):
        build(Channel.OSD, SN, "dock_osd", osd(), max_bytes=50)


def test_osd_out_of_range_is_refused() -> None:
    raw = build(Channel.OSD, SN, "dock_osd", osd()).payload
    env = json.loads(raw)
    env["data"]["drone_battery_pct"] = 140
    with pytest.raises(ProtocolError, match="drone_battery_pct"):
        decode(topic(Channel.OSD, SN), json.dumps(env).encode())


def test_osd_tolerates_new_fields_from_newer_firmware() -> None:
    env = json.loads(build(Channel.OSD, SN, "dock_osd", osd()).payload)
    env["data"]["humidity_pct"] = 40
    assert decode(topic(Channel.OSD, SN), json.dumps(env).encode()).body == osd()


def test_result_codes_are_described() -> None:
    for code in ResultCode:
        assert code.description
    assert "cover" in describe(20001)
    assert "unknown" in describe(12345)
