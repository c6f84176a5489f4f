"""Live-view figures in ``/metrics``: viewers by camera while a session is open, frames received,
sent and skipped for a slow viewer, payload streams, start failures, and sessions closed by code."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from mission.api.metrics import LiveViewFigures
from tests.integration.api.console_fakes import TestBackend
from tests.integration.api.test_api_live_view import WAIT_S, frame, url

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient) -> Samples:
    r = client.get("/metrics")
    assert r.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
        if s.name.startswith("skyloop_live_view")
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def scrape_until(client: TestClient, check: Callable[[Samples], bool]) -> Samples:
    """Scrape until ``check`` holds (the server's side of the socket may lag the test by a step)."""
    deadline = time.monotonic() + WAIT_S  # a guard against a hang on a loaded machine
    while True:
        samples = scrape(client)
        if check(samples):
            return samples
        assert time.monotonic() < deadline, f"metrics never got there: {samples}"
        time.sleep(0.01)


def closed(samples: Samples) -> dict[str, float]:
    codes = ("1008", "4404", "4422", "1011", "normal")
    return {c: value(samples, "skyloop_live_view_sessions_closed_total", code=c) for c in codes}


def test_a_session_moves_the_live_view_figures(client: TestClient, backend: TestBackend) -> None:
    figures: LiveViewFigures = backend.relay  # the relay satisfies what /metrics reads
    assert figures.streams_active == 0
    drone = backend.drones()[0].drone_id
    assert client.portal is not None
    before = scrape(client)
    assert value(before, "skyloop_live_view_viewers", camera="rgb") == 0
    assert value(before, "skyloop_live_view_viewers", camera="thermal") == 0
    assert value(before, "skyloop_live_view_streams") == 0
    assert set(closed(before).values()) == {0}

    with client.websocket_connect(url(drone, "thermal")) as ws:
        scrape_until(client, lambda s: value(s, "skyloop_live_view_viewers", camera="thermal") == 1)
        client.portal.call(backend.relay.deliver, drone, frame("thermal", 1))
        assert ws.receive_json()["seq"] == 1

        def burst() -> None:  # ten frames in one go on the loop: the viewer's queue holds 3
            for seq in range(2, 12):
                backend.relay.deliver(drone, frame("thermal", seq))

        client.portal.call(burst)
        assert [ws.receive_json()["seq"] for _ in range(3)] == [9, 10, 11]  # the newest win
        during = scrape_until(client, lambda s: value(s, "skyloop_live_view_frames_sent_total") == 4)
        assert value(during, "skyloop_live_view_streams") == 1
        assert value(during, "skyloop_live_view_frames_received_total") == 11
        assert value(during, "skyloop_live_view_frames_skipped_total") == 7
        assert value(during, "skyloop_live_view_viewers", camera="rgb") == 0
        # The viewer leaves; wait for the server to see it inside the block: leaving the block cancels
        # the server's side of the session, which would end it by cancellation, not as a close.
        ws.close(1000)
        after = scrape_until(client, lambda s: closed(s)["normal"] == 1)
    assert value(after, "skyloop_live_view_viewers", camera="thermal") == 0
    assert value(after, "skyloop_live_view_streams") == 0
    assert value(after, "skyloop_live_view_start_failures_total") == 0


def test_refused_sessions_are_counted_by_close_code(client: TestClient, backend: TestBackend) -> None:
    drone = backend.drones()[0].drone_id
    for path in (url("no-such-drone"), url(drone, camera="uv"), url(drone, token="sky_wrong")):
        with client.websocket_connect(path) as ws:
            ws.receive()  # the close
    backend.refuse_live_view = True
    with client.websocket_connect(url(drone)) as ws:
        ws.receive()
    samples = scrape_until(client, lambda s: closed(s)["1011"] == 1)
    assert closed(samples) == {"1008": 1, "4404": 1, "4422": 1, "1011": 1, "normal": 0}
    assert value(samples, "skyloop_live_view_start_failures_total") == 1
    assert value(samples, "skyloop_live_view_streams") == 0
    assert value(samples, "skyloop_live_view_viewers", camera="rgb") == 0
