"""Where the MQTT broker is: ``embedded`` (start one in-process) or ``mqtt[s]://[user[:pass]@]host[:port]``."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

EMBEDDED = "embedded"
DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


@dataclass(frozen=True)
class BrokerUrl:
    """A parsed broker address; ``tls`` for ``mqtts://``."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    def __str__(self) -> str:
        """The URL with the password hidden (safe to log)."""
        user = f"{self.username}:***@" if self.password else (f"{self.username}@" if self.username else "")
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"

    def with_credentials(self, username: str | None, password: str | None) -> BrokerUrl:
        return BrokerUrl(self.host, self.port, username, password, self.tls)


def parse_broker_url(url: str) -> BrokerUrl:
    """Parse ``mqtt://user:pass@host:port`` (``mqtts://`` for TLS); raise ValueError saying what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(f"broker URL must start with mqtt:// or mqtts://, got {url!r}")
    if not parts.hostname:
        raise ValueError(f"broker URL has no host: {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"broker URL must not have a path, query or fragment: {url!r}")
    try:
        port = parts.port if parts.port is not None else DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError(f"broker URL has an invalid port: {url!r}") from None
    if port == 0:
        raise ValueError(f"broker URL has an invalid port: {url!r}")
    return BrokerUrl(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        tls=parts.scheme == "mqtts",
    )
