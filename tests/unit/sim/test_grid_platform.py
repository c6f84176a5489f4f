"""The stand-in grid platform on a real local server: what it accepts, refuses and calls back."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sim.grid_platform import GridPlatformStandIn, StandInConfig, sign
from tests.unit.mission.grid_helpers import LocalServer, eventually


def signed_post(secret: str, key: str | None, body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    headers = {"X-Skyloop-Timestamp": ts, "X-Skyloop-Signature": sign(secret, ts, body)}
    return headers | ({"Idempotency-Key": key} if key else {})


async def test_accepts_once_refuses_bad_input_and_can_be_told_to_fail() -> None:
    lead = json.dumps({"type": "lead.created", "lead": {"id": "L1"}}).encode()
    async with (
        GridPlatformStandIn(StandInConfig(secret="s", callback_delays_s={})) as p,
        httpx.AsyncClient() as c,
    ):
        first = await c.post(p.webhook_url, content=lead, headers=signed_post("s", "k1", lead))
        again = await c.post(p.webhook_url, content=lead, headers=signed_post("s", "k1", lead))
        no_key = await c.post(p.webhook_url, content=lead, headers=signed_post("s", None, lead))
        bad_sig = await c.post(p.webhook_url, content=lead, headers=signed_post("wrong", "k2", lead))
        junk = await c.post(p.webhook_url, content=b"[1]", headers=signed_post("s", "k3", b"[1]"))
        p.fail_next(1)
        failed = await c.post(p.webhook_url, content=lead, headers=signed_post("s", "k4", lead))
        listed = (await c.get(p.webhook_url.replace("/webhook", "/received"))).json()
    assert first.status_code == 201 and first.json()["stand_in"] is True
    assert again.status_code == 409 and again.json()["case_id"] == first.json()["case_id"]
    assert [no_key.status_code, bad_sig.status_code, junk.status_code, failed.status_code] == [
        400,
        401,
        422,
        503,
    ]
    assert [r["idempotency_key"] for r in listed["received"]] == ["k1"] and listed["stand_in"] is True


async def test_callbacks_are_signed_in_order_and_retried_while_the_receiver_fails() -> None:
    got: list[tuple[str, bool]] = []
    refuse = {"left": 2}
    app = FastAPI()

    @app.post("/cb")
    async def cb(request: Request) -> JSONResponse:
        body = await request.body()
        if refuse["left"] > 0:
            refuse["left"] -= 1
            return JSONResponse({}, status_code=503)
        ok = request.headers["x-skyloop-signature"] == sign(
            "cbs", request.headers["x-skyloop-timestamp"], body
        )
        got.append((json.loads(body)["type"], ok))
        return JSONResponse({})

    async def no_wait(seconds: float) -> None:
        await asyncio.sleep(0)

    async with LocalServer(app) as receiver:
        config = StandInConfig(callback_secret="cbs", callback_url=receiver.url("/cb"))
        lead = json.dumps({"type": "lead.created", "lead": {"id": "L1"}}).encode()
        async with GridPlatformStandIn(config, sleep=no_wait) as p, httpx.AsyncClient() as c:
            await c.post(p.webhook_url, content=lead, headers={"Idempotency-Key": "k"})
            await eventually(lambda: len(got) == 3)
    assert got == [("accepted", True), ("dispatched", True), ("resolved", True)]
    assert p.callbacks_failed == 0
