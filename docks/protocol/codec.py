"""Encode and decode messages: topic + bytes <-> validated envelope and data model.

Every arriving payload goes through :func:`decode`, which checks size, topic, JSON, envelope, that the
envelope's ``gateway`` is the topic's device, and the method's data model; anything wrong raises
:class:`ProtocolError` with a one-line reason (and the envelope when it was readable, so a device can
still answer an unknown or invalid service request with a result code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from docks.protocol.dock import DOCK_EVENTS, DOCK_SERVICES, DOCK_TELEMETRY, EventAck, ServiceReply
from docks.protocol.envelope import Envelope, TelemetryModel, WireModel
from docks.protocol.payload import PAYLOAD_EVENTS, PAYLOAD_SERVICES, PAYLOAD_TELEMETRY
from docks.protocol.topics import QOS, Channel, TopicError, parse_topic, topic
from docks.result_codes import ResultCode

#: Default ceiling for one message; larger payloads are refused unread.
DEFAULT_MAX_PAYLOAD_BYTES = 65_536


def services() -> dict[str, tuple[type[WireModel], type[TelemetryModel] | None]]:
    """Every service method (dock and payload) -> (request model, reply output model)."""
    return {**DOCK_SERVICES, **PAYLOAD_SERVICES}


def events() -> dict[str, type[TelemetryModel]]:
    """Every event method -> data model."""
    return {**DOCK_EVENTS, **PAYLOAD_EVENTS}


def telemetry(channel: Channel) -> dict[str, type[TelemetryModel]]:
    """OSD, state or status methods -> data model."""
    return {**DOCK_TELEMETRY.get(channel, {}), **PAYLOAD_TELEMETRY.get(channel, {})}


class ProtocolError(ValueError):
    """A message that cannot be accepted: ``reason`` is one line, ``kind`` its category (``oversized``,
    ``topic``, ``json``, ``envelope``, ``gateway``, ``unknown_method``, ``data``, ``output``), ``code``
    the result code to answer a request with."""

    def __init__(
        self,
        reason: str,
        *,
        kind: str,
        topic: str = "",
        code: ResultCode = ResultCode.INVALID_PARAMS,
        envelope: Envelope | None = None,
    ) -> None:
        super().__init__(f"{topic}: {reason}" if topic else reason)
        self.reason = reason
        self.kind = kind
        self.topic = topic
        self.code = code
        self.envelope = envelope


@dataclass(frozen=True)
class Message:
    """A decoded message: where it came from, its envelope and its validated ``data``.

    For a ``services_reply``, ``body`` is the :class:`ServiceReply` and ``output`` the validated output
    model of the method (None when the method has none or the result is not OK)."""

    channel: Channel
    sn: str
    envelope: Envelope
    body: BaseModel
    output: BaseModel | None = None

    @property
    def method(self) -> str:
        return self.envelope.method


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(root)"
    return f"{where}: {err['msg']}"


def _data_model(channel: Channel, method: str) -> type[BaseModel] | None:
    if channel is Channel.SERVICES:
        entry = services().get(method)
        return entry[0] if entry else None
    if channel is Channel.SERVICES_REPLY:
        return ServiceReply  # also the answer to a method the device does not know
    if channel is Channel.EVENTS:
        return events().get(method)
    if channel is Channel.EVENTS_REPLY:
        return EventAck if method in events() else None
    return telemetry(channel).get(method)


def decode(topic_name: str, payload: bytes, *, max_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES) -> Message:
    """Validate one arriving message; raise :class:`ProtocolError` with the reason if it is not ours."""
    if len(payload) > max_bytes:
        raise ProtocolError(
            f"payload of {len(payload)} bytes exceeds {max_bytes}", kind="oversized", topic=topic_name
        )
    try:
        channel, sn = parse_topic(topic_name)
    except TopicError as exc:
        raise ProtocolError(str(exc), kind="topic", topic=topic_name) from None
    try:
        env = Envelope.model_validate_json(payload)
    except ValidationError as exc:
        if exc.errors()[0]["type"] == "json_invalid":
            raise ProtocolError("malformed JSON", kind="json", topic=topic_name) from None
        raise ProtocolError(
            f"invalid envelope: {_first_error(exc)}", kind="envelope", topic=topic_name
        ) from None
    if env.gateway != sn:
        raise ProtocolError(
            f"gateway {env.gateway!r} is not the topic's device {sn!r}", kind="gateway", topic=topic_name
        )
    model = _data_model(channel, env.method)
    if model is None:
        raise ProtocolError(
            f"unknown method {env.method!r} on {channel.value}",
            kind="unknown_method",
            topic=topic_name,
            code=ResultCode.UNKNOWN_METHOD,
            envelope=env,
        )
    try:
        body = model.model_validate(env.data)
    except ValidationError as exc:
        raise ProtocolError(
            f"invalid {env.method} data: {_first_error(exc)}", kind="data", topic=topic_name, envelope=env
        ) from None
    output: BaseModel | None = None
    if isinstance(body, ServiceReply) and body.ok and env.method in services():
        out_model = services()[env.method][1]
        if out_model is not None:
            try:
                output = out_model.model_validate(body.output)
            except ValidationError as exc:
                raise ProtocolError(
                    f"invalid {env.method} output: {_first_error(exc)}",
                    kind="output",
                    topic=topic_name,
                    envelope=env,
                ) from None
    return Message(channel, sn, env, body, output)


# --- building messages -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A message ready to publish."""

    topic: str
    payload: bytes
    qos: int
    retain: bool = False
    envelope: Envelope | None = None


def _dump(model: BaseModel | dict[str, Any] | None) -> dict[str, Any]:
    if model is None:
        return {}
    if isinstance(model, BaseModel):
        return model.model_dump(mode="json")
    return dict(model)


def build(
    channel: Channel,
    sn: str,
    method: str,
    data: BaseModel | dict[str, Any] | None = None,
    *,
    tid: str | None = None,
    bid: str | None = None,
    need_reply: bool | None = None,
    retain: bool = False,
    max_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
) -> Outgoing:
    """One message on ``channel`` of device ``sn``; refuses payloads over ``max_bytes``."""
    fields: dict[str, Any] = {"gateway": sn, "method": method, "data": _dump(data)}
    if tid is not None:
        fields["tid"] = tid
    if bid is not None:
        fields["bid"] = bid
    if need_reply is not None:
        fields["need_reply"] = need_reply
    env = Envelope(**fields)
    payload = env.model_dump_json(exclude_none=True).encode()
    if len(payload) > max_bytes:
        raise ProtocolError(
            f"{method}: payload of {len(payload)} bytes exceeds {max_bytes}", kind="oversized"
        )
    return Outgoing(topic(channel, sn), payload, QOS[channel], retain, env)


def reply(request: Envelope, result: int, output: BaseModel | dict[str, Any] | None = None) -> Outgoing:
    """The ``services_reply`` to ``request``: same tid, bid and method."""
    data = ServiceReply(result=int(result), output=_dump(output))
    return build(
        Channel.SERVICES_REPLY, request.gateway, request.method, data, tid=request.tid, bid=request.bid
    )


def event_ack(event: Envelope, result: int = ResultCode.OK) -> Outgoing:
    """The ``events_reply`` to an event that set ``need_reply``."""
    return build(
        Channel.EVENTS_REPLY,
        event.gateway,
        event.method,
        EventAck(result=int(result)),
        tid=event.tid,
        bid=event.bid,
    )
