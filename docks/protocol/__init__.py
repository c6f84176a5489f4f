"""The MQTT wire protocol of docks and payload computers (ARCHITECTURE.md §3, ``docs/protocol.md``).

``topics`` names the topics, ``envelope`` the JSON envelope, ``dock`` and ``payload`` the data models
of every method, ``codec`` validates arriving bytes and builds outgoing ones.
"""

from docks.protocol.codec import (
    DEFAULT_MAX_PAYLOAD_BYTES,
    Message,
    Outgoing,
    ProtocolError,
    build,
    decode,
    event_ack,
    events,
    reply,
    services,
    telemetry,
)
from docks.protocol.dock import (
    ChargeOutput,
    CoverOutput,
    DeviceStatus,
    DockOsd,
    DockState,
    EventAck,
    FlighttaskPrepare,
    FlighttaskProgress,
    Hms,
    HmsAlert,
    NetworkState,
    PrepareOutput,
    ServiceReply,
)
from docks.protocol.envelope import Empty, Envelope, new_id, now_ms
from docks.protocol.topics import Channel, TopicError, parse_topic, topic

__all__ = [
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "Channel",
    "ChargeOutput",
    "CoverOutput",
    "DeviceStatus",
    "DockOsd",
    "DockState",
    "Empty",
    "Envelope",
    "EventAck",
    "FlighttaskPrepare",
    "FlighttaskProgress",
    "Hms",
    "HmsAlert",
    "Message",
    "NetworkState",
    "Outgoing",
    "PrepareOutput",
    "ProtocolError",
    "ServiceReply",
    "TopicError",
    "build",
    "decode",
    "event_ack",
    "events",
    "new_id",
    "now_ms",
    "parse_topic",
    "reply",
    "services",
    "telemetry",
    "topic",
]
