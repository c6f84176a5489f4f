"""What mission control needs from the dock network, as a Protocol (the MQTT adapter implements it;
a test fake may too)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from pydantic import BaseModel

from docks.presence import Presence
from docks.protocol import Message, ServiceReply

Listener = Callable[[Message], None]


class DockLinkError(Exception):
    """Base of link failures (not of a dock's refusal: that is a non-zero result)."""


class DockTimeoutError(DockLinkError, TimeoutError):
    """No services_reply within the timeout."""

    def __init__(self, sn: str, method: str, timeout_s: float) -> None:
        super().__init__(f"{sn}: no reply to {method} within {timeout_s:g} s")
        self.sn, self.method, self.timeout_s = sn, method, timeout_s


class DockUnreachableError(DockLinkError, ConnectionError):
    """The link has no broker connection."""


class DockReplyError(DockLinkError):
    """The device answered, but its reply failed validation (``reason`` says why)."""


class DockLink(Protocol):
    """Commands to docks and payload computers, and the messages they send."""

    async def call(
        self,
        sn: str,
        method: str,
        data: BaseModel | dict[str, Any] | None = None,
        *,
        bid: str | None = None,
        timeout_s: float | None = None,
    ) -> Message:
        """Send a service request and wait for its reply (matched by tid).

        Returns the reply message: ``message.body`` is the :class:`ServiceReply` (``result`` 0 = ok,
        else a :class:`docks.result_codes.ResultCode`), ``message.output`` the validated output.
        Raises :class:`DockTimeoutError`, :class:`DockUnreachableError` or :class:`DockReplyError`
        (the reply failed validation); invalid ``data`` raises
        ``ValueError`` before anything is sent."""
        ...

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every valid OSD, state, status and event message; returns a remover."""
        ...

    def presence(self, sn: str) -> Presence:
        """Online status and OSD age of one device."""
        ...

    @property
    def connected(self) -> bool: ...


def reply_of(message: Message) -> ServiceReply:
    """The :class:`ServiceReply` inside a reply message."""
    assert isinstance(message.body, ServiceReply)
    return message.body
