"""A quiet live stream: heartbeats keep coming on the same connection and a change still arrives
after them; only mission control's shutdown ends the stream (1001). Run over the hub's own
subscription and over one whose iterator is an async generator — which a cancelled wait finishes,
as the first ``LiveQueue`` did — since :class:`mission.api.backend.LiveSubscription` allows both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from mission.api.app import create_app
from mission.api.backend import LiveItem
from mission.api.live_hub import LiveQueue
from mission.api_settings import ApiSettings
from mission.model import Mission
from tests.integration.api.conftest import ADMIN_TOKEN
from tests.integration.api.console_fakes import TestBackend

HEARTBEATS = 4


class GeneratorSubscription:
    """A hub subscription iterated through an async generator: a cancellation ends it."""

    def __init__(self, inner: LiveQueue) -> None:
        self.inner = inner

    def __aiter__(self) -> AsyncIterator[LiveItem]:
        return self._items()

    async def _items(self) -> AsyncIterator[LiveItem]:
        async for item in self.inner:
            yield item

    def close(self) -> None:
        self.inner.close()


class GeneratorBackend(TestBackend):
    """The API tests' backend, its live subscriptions iterated by a generator."""

    __test__ = False

    def subscribe_live(self, maxsize: int = 1000) -> GeneratorSubscription:  # type: ignore[override]
        return GeneratorSubscription(self.live.subscribe(maxsize))


@pytest.fixture(params=["hub-queue", "generator"])
def quiet(request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, TestBackend]]:
    backend = TestBackend() if request.param == "hub-queue" else GeneratorBackend()
    backend.feed_healthy_docks()  # before the client connects: nothing moves during the test
    app = create_app(backend, ApiSettings(heartbeat_s=0.05), bootstrap_token=ADMIN_TOKEN)
    with TestClient(app) as client:
        yield client, backend


def test_heartbeats_never_end_a_quiet_stream(quiet: tuple[TestClient, TestBackend]) -> None:
    client, backend = quiet
    assert client.portal is not None
    with client.websocket_connect(f"/api/v1/live?token={ADMIN_TOKEN}") as ws:
        assert ws.receive_json()["type"] == "snapshot"
        kinds = [ws.receive_json()["type"] for _ in range(HEARTBEATS)]
        assert kinds == ["heartbeat"] * HEARTBEATS
        assert backend.live.subscriber_count == 1  # the same subscription all along
        client.portal.call(backend.live.publish, Mission(None, 113.8, 34.8, id="M-after-quiet"))
        for _ in range(10):
            message = ws.receive_json()
            if message["type"] != "heartbeat":
                break
        assert message["type"] == "mission" and message["mission"]["id"] == "M-after-quiet"
        assert ws.receive_json()["type"] == "heartbeat"  # and the quiet goes on


def test_shutdown_still_closes_with_1001(quiet: tuple[TestClient, TestBackend]) -> None:
    client, backend = quiet
    assert client.portal is not None
    with client.websocket_connect(f"/api/v1/live?token={ADMIN_TOKEN}") as ws:
        assert ws.receive_json()["type"] == "snapshot"
        assert ws.receive_json()["type"] == "heartbeat"
        client.portal.call(backend.live.close)  # what mission control does when it stops
        with pytest.raises(WebSocketDisconnect) as info:
            for _ in range(10):
                assert ws.receive_json()["type"] == "heartbeat"
    assert info.value.code == 1001 and "shutting down" in str(info.value.reason)
