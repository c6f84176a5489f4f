"""The PX4 SITL (SIH) launcher: command lines, environment, working directories and clean shutdown.

Real PX4 cannot run here; a stand-in shell script records what it was started with and waits for
a signal like px4 does.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.px4_sitl import (
    SIH_QUADX_AUTOSTART,
    Px4Home,
    Px4Sitl,
    Px4SitlError,
    plan_instances,
    px4_binary_from_env,
)

HOMES = [Px4Home(34.75, 113.62, 95.0), Px4Home(34.76, 113.63, 96.5)]


def test_each_instance_gets_its_port_sysid_workdir_airframe_and_home(tmp_path: Path) -> None:
    px4 = tmp_path / "build" / "bin" / "px4"
    plans = plan_instances(px4, HOMES, tmp_path / "run", first_index=2, base_env={"PATH": "/usr/bin"})
    assert [p.index for p in plans] == [2, 3]
    assert [p.udp_port for p in plans] == [14542, 14543]
    assert [p.system_id for p in plans] == [3, 4]
    assert plans[0].mavlink_url == "udpin://127.0.0.1:14542"
    assert plans[0].workdir != plans[1].workdir and plans[1].workdir.name == "instance_3"
    etc = str(px4.resolve().parent.parent / "etc")
    assert plans[1].argv == (str(px4), "-i", "3", "-d", etc)
    env = plans[1].env
    assert env["PX4_SYS_AUTOSTART"] == str(SIH_QUADX_AUTOSTART) == "10040"
    assert env["PX4_SIMULATOR"] == "sihsim"
    assert float(env["PX4_HOME_LAT"]) == pytest.approx(34.76)
    assert float(env["PX4_HOME_LON"]) == pytest.approx(113.63)
    assert float(env["PX4_HOME_ALT"]) == pytest.approx(96.5)
    assert env["PATH"] == "/usr/bin"
    assert "PX4_SIM_SPEED_FACTOR" not in env


def test_old_px4_home_encoding_and_speed_factor(tmp_path: Path) -> None:
    plans = plan_instances(
        tmp_path / "px4", HOMES[:1], tmp_path, home_format="deg_e7", speed_factor=4, base_env={}
    )
    env = plans[0].env
    assert env["PX4_HOME_LAT"] == "347500000" and env["PX4_HOME_LON"] == "1136200000"
    assert env["PX4_SIM_SPEED_FACTOR"] == "4"


def test_stray_px4_variables_from_the_shell_do_not_leak_in(tmp_path: Path) -> None:
    base = {"PX4_SIM_MODEL": "gz_x500", "PX4_GZ_WORLD": "windy", "HOME": "/root"}
    env = plan_instances(tmp_path / "px4", HOMES[:1], tmp_path, base_env=base)[0].env
    assert env["PX4_SIM_MODEL"] == "sihsim_quadx" and "PX4_GZ_WORLD" not in env and env["HOME"] == "/root"


def test_bad_plans_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"0\.\.9"):
        plan_instances(tmp_path / "px4", [HOMES[0]] * 11, tmp_path)
    with pytest.raises(ValueError, match="speed_factor"):
        plan_instances(tmp_path / "px4", HOMES, tmp_path, speed_factor=0)
    with pytest.raises(ValueError, match="home"):
        plan_instances(tmp_path / "px4", [], tmp_path)
    with pytest.raises(ValueError):
        Px4Home(float("nan"), 113.0, 0.0)


def test_binary_from_env(tmp_path: Path) -> None:
    assert px4_binary_from_env({}) is None
    with pytest.raises(Px4SitlError, match="not an executable"):
        px4_binary_from_env({"SKYLOOP_PX4_BIN": str(tmp_path / "missing")})
    exe = _fake_px4(tmp_path)
    assert px4_binary_from_env({"SKYLOOP_PX4_BIN": str(exe)}) == exe


def _fake_px4(tmp_path: Path) -> Path:
    """A stand-in that records how it was started (``started.json``, written whole) and says when
    Ctrl-C stopped it. Python, not sh: a shell cannot trap a SIGINT that was ignored when it started
    (as in a CI job run in the background), and the handler is set before ``started.json`` appears."""
    exe = tmp_path / "bin" / "px4"
    exe.parent.mkdir(parents=True, exist_ok=True)
    exe.write_text(
        f"#!{sys.executable}\n"
        "import json, os, pathlib, signal, sys, time\n"
        "def stop(*_):\n"
        "    pathlib.Path('stopped.txt').write_text('stopped\\n')\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGINT, stop)\n"
        "started = {'argv': sys.argv[1:], 'cwd': os.getcwd(), 'lat': os.environ['PX4_HOME_LAT']}\n"
        "pathlib.Path('started.tmp').write_text(json.dumps(started))\n"
        "os.replace('started.tmp', 'started.json')\n"
        "while True:\n"
        "    time.sleep(0.05)\n"
    )
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def _wait_started(workdirs: list[Path]) -> None:
    """Until every stand-in wrote ``started.json`` (Python starts slowly on a loaded machine); a
    guard against a hang, not a timing check."""
    deadline = time.monotonic() + 60.0
    while not all((d / "started.json").is_file() for d in workdirs):
        assert time.monotonic() < deadline, f"not every stand-in started: {workdirs}"
        time.sleep(0.02)


def test_instances_start_in_their_own_directories_and_stop_cleanly(tmp_path: Path) -> None:
    exe = _fake_px4(tmp_path)
    plans = plan_instances(exe, HOMES, tmp_path / "run", base_env=dict(os.environ))
    (plans[0].workdir / "eeprom").mkdir(parents=True)  # a previous run's parameters are wiped
    with Px4Sitl(plans) as sitl:
        assert sitl.running == [True, True]
        assert not (plans[0].workdir / "eeprom").exists()
        _wait_started([plan.workdir for plan in plans])
    for plan in plans:
        started = json.loads((plan.workdir / "started.json").read_text())
        assert started["argv"] == list(plan.argv[1:])
        assert Path(started["cwd"]).resolve() == plan.workdir.resolve()
        assert float(started["lat"]) == pytest.approx(plan.home.lat_deg)
        assert (plan.workdir / "stopped.txt").read_text().strip() == "stopped"


def test_an_instance_that_dies_at_once_is_reported(tmp_path: Path) -> None:
    exe = tmp_path / "px4"
    exe.write_text("#!/bin/sh\necho 'ERROR [px4] no etc dir'\nexit 3\n")
    exe.chmod(0o755)
    with pytest.raises(Px4SitlError, match=r"exited at once.*no etc dir"):
        Px4Sitl(plan_instances(exe, HOMES[:1], tmp_path / "run")).start()


def test_cli_homes_and_missing_binary(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.px4_sitl import main, parse_home, spaced_homes

    home = parse_home("113.73, 34.76, 95")
    assert (home.lon_deg, home.lat_deg, home.alt_m) == (113.73, 34.76, 95.0)
    assert parse_home("113.73,34.76").alt_m == 0.0
    with pytest.raises(ValueError, match="LON,LAT"):
        parse_home("113.73")
    homes = spaced_homes(3, home, spacing_m=10.0)
    assert homes[0] == home and homes[2].lat_deg > homes[1].lat_deg > home.lat_deg
    assert 19.9 < (homes[2].lat_deg - home.lat_deg) * 111_195 < 20.1
    monkeypatch.delenv("SKYLOOP_PX4_BIN", raising=False)
    assert main(["--home", "113.73,34.76"]) == 2
    assert "SKYLOOP_PX4_BIN" in capsys.readouterr().err


def test_standalone_run_prints_urls_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    exe = _fake_px4(tmp_path)
    env = dict(os.environ, SKYLOOP_PX4_BIN=str(exe))
    root = tmp_path / "run"
    argv = [
        sys.executable,
        "-m",
        "sim.px4_sitl",
        "--count",
        "2",
        "--home",
        "113.73,34.76,95",
        "--root",
        str(root),
    ]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[3])
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(2)]
    assert "udpin://127.0.0.1:14540" in lines[0] and "sysid 2 udpin://127.0.0.1:14541" in lines[1]
    _wait_started([root / f"instance_{i}" for i in (0, 1)])
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    for i in (0, 1):
        assert (root / f"instance_{i}" / "stopped.txt").read_text().strip() == "stopped"
