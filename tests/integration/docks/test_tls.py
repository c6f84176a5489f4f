"""``mqtts://``: the link and a device talk through a TLS broker that they verify with a given CA."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from docks.broker import EmbeddedBroker
from docks.model import ChargeState
from docks.mqtt_device import MqttDeviceClient
from docks.mqtt_link import MqttDockLink
from docks.ports import DockUnreachableError, reply_of
from docks.protocol import ChargeOutput, Message
from docks.result_codes import ResultCode
from docks.settings import MqttSettings
from tests.integration.docks.conftest import WAIT_S

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "broker.crt", tmp_path / "broker.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


async def answer(message: Message) -> tuple[int, ChargeOutput]:
    return ResultCode.OK, ChargeOutput(charge_state=ChargeState.IDLE)


async def test_round_trip_over_tls_and_untrusted_broker_refused(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    async with EmbeddedBroker(certfile=cert, keyfile=key) as broker:
        assert str(broker.url).startswith("mqtts://")
        trusted = MqttSettings(tls_ca_file=cert, reconnect_min_s=0.05, reconnect_max_s=0.5)
        async with MqttDockLink(broker.url, trusted, devices=["TLS01"]) as link:
            await link.wait_connected(WAIT_S)
            async with MqttDeviceClient(broker.url, "TLS01", answer, settings=trusted) as device:
                await device.session.wait_connected(WAIT_S)
                assert reply_of(await link.call("TLS01", "charge_stop", timeout_s=WAIT_S)).ok
        untrusted = MqttSettings(reconnect_min_s=0.05, reconnect_max_s=0.5)  # system CAs only
        async with MqttDockLink(broker.url, untrusted, client_id="untrusting") as link:
            with pytest.raises(DockUnreachableError):
                await link.wait_connected(1.5)
