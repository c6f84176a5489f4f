"""MQTT topics per device serial (ARCHITECTURE.md §3, shaped like the DJI Cloud API)."""

from __future__ import annotations

import re
from enum import StrEnum


class Channel(StrEnum):
    """The seven topics every device has; the value is the topic's last segment."""

    OSD = "osd"
    STATE = "state"
    SERVICES = "services"
    SERVICES_REPLY = "services_reply"
    EVENTS = "events"
    EVENTS_REPLY = "events_reply"
    STATUS = "status"


#: Channels a device publishes; the cloud publishes the other two.
DEVICE_TO_CLOUD = frozenset(
    {Channel.OSD, Channel.STATE, Channel.SERVICES_REPLY, Channel.EVENTS, Channel.STATUS}
)
CLOUD_TO_DEVICE = frozenset({Channel.SERVICES, Channel.EVENTS_REPLY})

#: QoS per channel: OSD is periodic and may be lost; everything else at least once.
QOS: dict[Channel, int] = {channel: (0 if channel is Channel.OSD else 1) for channel in Channel}

#: Serial numbers: letters, digits, ``-`` and ``_`` (no MQTT wildcards, no ``/``), 1–64 characters.
SN_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
_SN_RE = re.compile(SN_PATTERN)
_TOPIC_RE = re.compile(rf"^(thing|sys)/product/({SN_PATTERN})/([a-z_]+)$")


class TopicError(ValueError):
    """A topic that is not one of ours."""


def valid_sn(sn: str) -> bool:
    return _SN_RE.fullmatch(sn) is not None


def topic(channel: Channel, sn: str) -> str:
    """The topic of ``channel`` for device ``sn`` (``+`` allowed as a subscription wildcard)."""
    if sn != "+" and not valid_sn(sn):
        raise TopicError(f"invalid device serial {sn!r}")
    root = "sys" if channel is Channel.STATUS else "thing"
    return f"{root}/product/{sn}/{channel.value}"


def parse_topic(name: str) -> tuple[Channel, str]:
    """``thing/product/DOCK01/osd`` -> (Channel.OSD, "DOCK01"); raises :class:`TopicError`."""
    match = _TOPIC_RE.match(name)
    if match is None:
        raise TopicError(f"not a device topic: {name!r}")
    root, sn, last = match.groups()
    try:
        channel = Channel(last)
    except ValueError:
        raise TopicError(f"unknown channel {last!r} in {name!r}") from None
    if (root == "sys") != (channel is Channel.STATUS):
        raise TopicError(f"channel {last!r} does not live under {root}/: {name!r}")
    return channel, sn


def cloud_subscriptions(sn: str = "+") -> list[str]:
    """What mission control subscribes to (all devices by default)."""
    return [topic(channel, sn) for channel in sorted(DEVICE_TO_CLOUD)]


def device_subscriptions(sn: str) -> list[str]:
    """What a device subscribes to: its own commands and event acknowledgements."""
    return [topic(channel, sn) for channel in sorted(CLOUD_TO_DEVICE)]
