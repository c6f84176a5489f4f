"""``skyloop sim vehicles``: argument checks (one-line errors, exit 2) and a short real run."""

from __future__ import annotations

import socket

import pytest

from mission.cli import main
from mission.cli.errors import CliError
from mission.cli.sim_vehicles_cmd import parse_home, parse_params


def test_parse_home() -> None:
    assert parse_home("8.54,47.37") == (8.54, 47.37, 0.0)
    assert parse_home(" 113.73 , 34.76 , 95 ") == (113.73, 34.76, 95.0)
    for bad in ("8.54", "a,b", "200,10", "8,95", "8,47,nan", "8,47,20000", "1,2,3,4"):
        with pytest.raises(CliError):
            parse_home(bad)


def test_parse_params() -> None:
    assert parse_params(["MIS_TAKEOFF_ALT=20", "NAV_DLL_ACT=2"]) == {
        "MIS_TAKEOFF_ALT": 20.0,
        "NAV_DLL_ACT": 2.0,
    }
    for bad in (["NOPE=1"], ["MIS_TAKEOFF_ALT"], ["MIS_TAKEOFF_ALT=x"], ["MIS_TAKEOFF_ALT=nan"]):
        with pytest.raises(CliError):
            parse_params(bad)


@pytest.mark.parametrize(
    "extra",
    [
        ["--count", "0"],
        ["--count", "300"],
        ["--speed", "0"],
        ["--speed", "nan"],
        ["--spacing-m", "-1"],
        ["--port-base", "80"],
        ["--port-base", "20000", "--local-port-base", "20000"],
        ["--sysid-base", "250", "--count", "10"],
        ["--wind", "100"],
        ["--heartbeat-hz", "0"],
    ],
)
def test_bad_input_is_one_line_exit_2(extra: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["sim", "vehicles", "--home", "8.54,47.37", "--local-port-base", "0", "--duration", "1", *extra]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("skyloop: error:") and err.count("\n") == 1


def test_runs_and_prints_one_url_per_vehicle(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as gcs:  # a GCS port for the first vehicle
        gcs.bind(("127.0.0.1", 0))
        gcs.settimeout(5.0)
        base = gcs.getsockname()[1]
        if base > 65000:
            pytest.skip("ephemeral port too high to leave room for three vehicles")
        args = ["sim", "vehicles", "--count", "3", "--home", "8.54,47.37,400", "--port-base", str(base)]
        code = main([*args, "--local-port-base", "0", "--speed", "50", "--duration", "5"])
        data = gcs.recv(2048)
    out = capsys.readouterr().out
    assert code == 0
    for i in range(3):
        assert f"udpin://127.0.0.1:{base + i}" in out
    assert data[0] == 0xFD  # MAVLink v2 reached the GCS port
