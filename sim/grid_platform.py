"""A STAND-IN for the city's grid platform (网格化管理平台) — not the real one, and not a model of
any vendor's product. It exists so the demo and the tests have a peer that behaves like a webhook
receiver should: it records leads, recognises redeliveries by ``Idempotency-Key`` (409), verifies
our HMAC signature when given the secret, can be told to fail deliveries (503) or to be down, and
answers each new lead with signed ``accepted`` → ``dispatched`` → ``resolved`` callbacks after
configurable delays. docs/grid.md says how to point mission control at a real platform instead.

Served by uvicorn on 127.0.0.1 (a free port by default)::

    async with GridPlatformStandIn(StandInConfig(fail_first=2)) as grid:
        print(grid.webhook_url)

The signature scheme is implemented here independently of mission control's (sim must not import
mission), which makes the round-trip test a real cross-check.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)

CALLBACK_TYPES = ("accepted", "dispatched", "resolved")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass
class StandInConfig:
    secret: str = ""
    """Verify deliveries with this HMAC key ('' = accept unsigned, as a careless platform would)."""
    callback_secret: str = ""
    """Sign callbacks with this key."""
    callback_url: str | None = None
    """Where callbacks go when a lead does not name a ``callback_url``; None and none named: no callbacks."""
    fail_first: int = 0
    """Answer the first N deliveries with 503 (before looking at them)."""
    callback_delays_s: dict[str, float] = field(
        default_factory=lambda: {"accepted": 2.0, "dispatched": 10.0, "resolved": 60.0}
    )
    """Seconds after a new lead at which each callback is sent (a type left out is never sent)."""
    speed: float = 1.0
    """Speed-up factor: delays are divided by it."""
    tolerance_s: float = 300.0
    callback_attempts: int = 5


@dataclass(frozen=True)
class Received:
    """One message the stand-in accepted (redeliveries are not repeated here)."""

    idempotency_key: str
    topic: str
    payload: dict[str, Any]
    case_id: str
    received_at: datetime


class GridPlatformStandIn:
    """STAND-IN grid platform: ``POST /webhook`` receives, ``GET /received`` lists, callbacks go out."""

    def __init__(
        self,
        config: StandInConfig | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wall_time: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or StandInConfig()
        self.sleep, self.wall_time = sleep, wall_time
        self.received: list[Received] = []
        self.by_key: dict[str, Received] = {}
        self.posts = 0
        self.failed = 0
        self.duplicates = 0
        self.bad_signatures = 0
        self.down = False
        self.callbacks_sent: list[dict[str, Any]] = []
        self.callbacks_failed = 0
        self._fail_left = self.config.fail_first
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: uvicorn.Server | None = None
        self._serve_task: asyncio.Task[None] | None = None
        self.port: int | None = None
        self.app = self._build_app()

    # -- controls -------------------------------------------------------------------------------

    def fail_next(self, n: int) -> None:
        """Answer the next ``n`` deliveries with 503."""
        self._fail_left = n

    @property
    def webhook_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the stand-in grid platform is not started")
        return f"http://127.0.0.1:{self.port}/webhook"

    def leads(self) -> list[Received]:
        return [r for r in self.received if r.topic == "lead.created"]

    # -- HTTP -----------------------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="Grid platform STAND-IN (not a real platform)", docs_url=None, redoc_url=None)

        @app.post("/webhook")
        async def webhook(request: Request) -> JSONResponse:
            return self._receive(await request.body(), request.headers)

        @app.get("/received")
        async def received() -> JSONResponse:
            rows = [
                {"idempotency_key": r.idempotency_key, "topic": r.topic, "case_id": r.case_id}
                for r in self.received
            ]
            return JSONResponse({"stand_in": True, "received": rows, "posts": self.posts})

        @app.get("/healthz")
        async def healthz() -> JSONResponse:
            return JSONResponse({"stand_in": True, "ok": not self.down})

        return app

    def _receive(self, body: bytes, headers: Any) -> JSONResponse:
        self.posts += 1
        if self.down or self._fail_left > 0:
            self._fail_left = max(self._fail_left - 1, 0)
            self.failed += 1
            return JSONResponse({"error": "unavailable (stand-in told to fail)"}, status_code=503)
        if self.config.secret and not self._signed(body, headers):
            self.bad_signatures += 1
            return JSONResponse({"error": "bad signature"}, status_code=401)
        key = headers.get("idempotency-key")
        if not key:
            return JSONResponse({"error": "Idempotency-Key header is required"}, status_code=400)
        known = self.by_key.get(key)
        if known is not None:
            self.duplicates += 1
            return JSONResponse({"error": "duplicate", "case_id": known.case_id}, status_code=409)
        try:
            payload = json.loads(body)
            topic = str(payload["type"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"malformed message: {exc}"}, status_code=422)
        case_id = f"STANDIN-{len(self.received) + 1:06d}"
        rec = Received(key, topic, payload, case_id, datetime.now(UTC))
        self.received.append(rec)
        self.by_key[key] = rec
        log.info("grid STAND-IN received %s %s as %s", topic, key, case_id)
        if topic == "lead.created":
            self._spawn(self._callbacks(rec))
        return JSONResponse({"case_id": case_id, "status": "received", "stand_in": True}, status_code=201)

    def _signed(self, body: bytes, headers: Any) -> bool:
        ts = headers.get("x-skyloop-timestamp", "")
        given = headers.get("x-skyloop-signature", "")
        try:
            fresh = abs(self.wall_time() - float(ts)) <= self.config.tolerance_s
        except ValueError:
            return False
        return fresh and hmac.compare_digest(sign(self.config.secret, ts, body), given)

    # -- callbacks ------------------------------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _callbacks(self, rec: Received) -> None:
        url = rec.payload.get("callback_url") or self.config.callback_url
        if not url:
            return
        lead = rec.payload.get("lead") or {}
        elapsed_s = 0.0
        plan = sorted((d, t) for t, d in self.config.callback_delays_s.items() if t in CALLBACK_TYPES)
        async with httpx.AsyncClient() as client:
            for delay_s, kind in plan:
                await self.sleep(max(delay_s - elapsed_s, 0.0) / self.config.speed)
                elapsed_s = max(elapsed_s, delay_s)
                body = {
                    "event_id": uuid.uuid4().hex,
                    "type": kind,
                    "lead_id": lead.get("id"),
                    "idempotency_key": rec.idempotency_key,
                    "case_id": rec.case_id,
                    "at": datetime.now(UTC).isoformat(),
                    "note": "sent by the grid platform STAND-IN",
                }
                await self._send_callback(client, str(url), body)

    async def _send_callback(self, client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> None:
        raw = json.dumps(body, separators=(",", ":")).encode()
        for attempt in range(self.config.callback_attempts):
            ts = str(int(self.wall_time()))
            headers = {
                "Content-Type": "application/json",
                "X-Skyloop-Timestamp": ts,
                "X-Skyloop-Signature": sign(self.config.callback_secret, ts, raw),
            }
            try:
                response = await client.post(url, content=raw, headers=headers, timeout=10.0)
                if response.status_code < 500:
                    self.callbacks_sent.append({**body, "status_code": response.status_code})
                    return
            except httpx.TransportError as exc:
                log.info("grid STAND-IN callback to %s failed: %s", url, exc)
            await self.sleep(min(2.0**attempt, 30.0) / self.config.speed)
        self.callbacks_failed += 1

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (``port`` 0 = a free one); returns the webhook URL."""
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on such sockets (else Nagle meets
        # delayed ACKs and every answer takes ≈ 40 ms)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._serve_task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._serve_task.done():
                await self._serve_task  # raises what stopped it
                raise RuntimeError("the stand-in grid platform stopped while starting")
            await asyncio.sleep(0.005)
        log.warning("grid platform STAND-IN (not a real platform) on %s", self.webhook_url)
        return self.webhook_url

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None and self._serve_task is not None:
            self._server.should_exit = True
            await self._serve_task
        self._server = self._serve_task = None

    async def __aenter__(self) -> GridPlatformStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _serve(config: StandInConfig, port: int) -> None:
    platform = GridPlatformStandIn(config)
    await platform.start(port)
    try:
        print(f"grid platform STAND-IN (not a real platform): webhook {platform.webhook_url}", flush=True)
        await asyncio.Event().wait()
    finally:
        await platform.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m sim.grid_platform``: run the stand-in alone (for trying mission control by hand)."""
    import argparse

    parser = argparse.ArgumentParser(description="Run the STAND-IN grid platform on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--secret", default="", help="verify deliveries with this HMAC key")
    parser.add_argument("--callback-secret", default="", help="sign callbacks with this key")
    parser.add_argument("--callback-url", help="callbacks go here when a lead names none")
    parser.add_argument("--fail-first", type=int, default=0, help="answer the first N deliveries with 503")
    parser.add_argument("--speed", type=float, default=1.0, help="divide the callback delays by this")
    args = parser.parse_args(argv)
    if args.speed <= 0 or args.fail_first < 0:
        parser.error("--speed must be > 0 and --fail-first >= 0")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = StandInConfig(
        secret=args.secret,
        callback_secret=args.callback_secret,
        callback_url=args.callback_url,
        fail_first=args.fail_first,
        speed=args.speed,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(config, args.port))


if __name__ == "__main__":
    main()
