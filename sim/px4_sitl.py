"""Start N real PX4 SITL instances with the SIH quadrotor, so the same flight code and tests run on
real PX4 when ``SKYLOOP_PX4_BIN`` names a ``px4`` binary (``build/px4_sitl_default/bin/px4``).

What PX4's own ``Tools/simulation/sitl_multiple_run.sh`` does, per instance ``i``:

* its own working directory (parameters, logs, dataman live there): ``<root>/instance_<i>``;
* ``px4 -i <i> -d <build>/etc`` run from that directory (``-d``: no interactive shell);
* airframe from the environment: ``PX4_SYS_AUTOSTART=10040`` (``10040_sihsim_quadx``) and
  ``PX4_SIMULATOR=sihsim``; home from ``PX4_HOME_LAT/LON/ALT`` (copied by ``px4-rc.simulator`` into
  ``SIH_LOC_LAT0/LON0/H0``); ``PX4_SIM_SPEED_FACTOR`` runs it faster than real time;
* PX4's offboard MAVLink link sends to UDP ``14540 + i`` on localhost, with ``MAV_SYS_ID = i + 1``,
  so MAVSDK listens with ``udpin://127.0.0.1:<14540+i>``.

PX4 up to v1.15 declared ``SIH_LOC_LAT0/LON0`` as INT32 in 1e-7 degrees and copies the environment
value verbatim (``47.39`` silently becomes 47 °); later releases use float degrees. ``home_format``
("deg" or "deg_e7", env ``SKYLOOP_PX4_HOME_FORMAT``) picks the encoding.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

#: PX4's SIH quadrotor airframe (ROMFS/px4fmu_common/init.d-posix/airframes/10040_sihsim_quadx).
SIH_QUADX_AUTOSTART = 10040
#: PX4 SITL sends its offboard/API MAVLink stream to this port + instance.
OFFBOARD_PORT_BASE = 14540
MAX_INSTANCES = 10  # 14540..14549: PX4's offboard port range for SITL

HomeFormat = Literal["deg", "deg_e7"]


class Px4SitlError(Exception):
    """The PX4 binary is missing or an instance would not start; the message says which and why."""


@dataclass(frozen=True)
class Px4Home:
    """Where an instance boots: WGS84 degrees, ``alt_m`` above mean sea level."""

    lat_deg: float
    lon_deg: float
    alt_m: float

    def __post_init__(self) -> None:
        if not (
            math.isfinite(self.lat_deg)
            and math.isfinite(self.lon_deg)
            and math.isfinite(self.alt_m)
            and -90 <= self.lat_deg <= 90
            and -180 <= self.lon_deg <= 180
        ):
            raise ValueError(f"not a WGS84 home: {self}")


@dataclass(frozen=True)
class Px4Instance:
    """Everything needed to start, reach and identify one PX4 SITL instance."""

    index: int
    home: Px4Home
    workdir: Path
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(hash=False)

    @property
    def udp_port(self) -> int:
        return OFFBOARD_PORT_BASE + self.index

    @property
    def system_id(self) -> int:
        return self.index + 1

    @property
    def mavlink_url(self) -> str:
        """The MAVSDK connection URL for this instance."""
        return f"udpin://127.0.0.1:{self.udp_port}"


def px4_binary_from_env(env: Mapping[str, str] | None = None) -> Path | None:
    """The ``px4`` binary named by ``SKYLOOP_PX4_BIN``, or None when unset.

    Raises :class:`Px4SitlError` when it is set but not an executable file.
    """
    value = (env if env is not None else os.environ).get("SKYLOOP_PX4_BIN", "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file() or not os.access(path, os.X_OK):
        raise Px4SitlError(f"SKYLOOP_PX4_BIN={value!r} is not an executable file")
    return path


def _encode_deg(value_deg: float, home_format: HomeFormat) -> str:
    if home_format == "deg_e7":
        return str(round(value_deg * 1e7))
    return f"{value_deg:.8f}"


def plan_instances(
    px4_bin: Path,
    homes: Sequence[Px4Home],
    root: Path,
    *,
    first_index: int = 0,
    speed_factor: float = 1.0,
    home_format: HomeFormat = "deg",
    etc_dir: Path | None = None,
    base_env: Mapping[str, str] | None = None,
) -> list[Px4Instance]:
    """The command line, environment and working directory of each instance (pure; nothing runs)."""
    if not homes:
        raise ValueError("at least one home is needed")
    if first_index < 0 or first_index + len(homes) > MAX_INSTANCES:
        raise ValueError(f"instances {first_index}..{first_index + len(homes) - 1} exceed PX4's 0..9 range")
    if not (math.isfinite(speed_factor) and speed_factor > 0):
        raise ValueError(f"speed_factor must be > 0, got {speed_factor!r}")
    if home_format not in ("deg", "deg_e7"):
        raise ValueError(f"home_format must be 'deg' or 'deg_e7', got {home_format!r}")
    etc = etc_dir or px4_bin.resolve().parent.parent / "etc"
    inherited = dict(base_env if base_env is not None else os.environ)
    for key in [k for k in inherited if k.startswith("PX4_")]:
        del inherited[key]  # a stray PX4_SIM_MODEL or PX4_GZ_* from the shell must not leak in
    plans = []
    for offset, home in enumerate(homes):
        index = first_index + offset
        env = dict(inherited)
        env.update(
            PX4_SYS_AUTOSTART=str(SIH_QUADX_AUTOSTART),
            PX4_SIMULATOR="sihsim",
            PX4_SIM_MODEL="sihsim_quadx",
            PX4_HOME_LAT=_encode_deg(home.lat_deg, home_format),
            PX4_HOME_LON=_encode_deg(home.lon_deg, home_format),
            PX4_HOME_ALT=f"{home.alt_m:.2f}",
            HEADLESS="1",
        )
        if speed_factor != 1.0:
            env["PX4_SIM_SPEED_FACTOR"] = f"{speed_factor:g}"
        argv = (str(px4_bin), "-i", str(index), "-d", str(etc))
        plans.append(Px4Instance(index, home, root / f"instance_{index}", argv, env))
    return plans


class Px4Sitl:
    """Runs planned instances as child processes; ``with Px4Sitl(plans):`` stops them cleanly."""

    def __init__(self, instances: Sequence[Px4Instance], *, fresh: bool = True) -> None:
        self.instances = list(instances)
        self._fresh = fresh
        self._procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Px4Sitl:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        try:
            self._start()
        except BaseException:  # Ctrl-C while starting: the children are in their own sessions, stop them
            self.stop()
            raise

    def _start(self) -> None:
        for inst in self.instances:
            if self._fresh and inst.workdir.exists():
                shutil.rmtree(inst.workdir)  # old parameters (eeprom/) would override the home and airframe
            inst.workdir.mkdir(parents=True, exist_ok=True)
            with open(inst.workdir / "out.log", "wb") as out, open(inst.workdir / "err.log", "wb") as err:
                try:
                    proc = subprocess.Popen(
                        inst.argv,
                        cwd=inst.workdir,
                        env=dict(inst.env),
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=err,
                        start_new_session=True,
                    )
                except OSError as exc:
                    self.stop()
                    raise Px4SitlError(f"instance {inst.index}: cannot start {inst.argv[0]}: {exc}") from exc
            self._procs.append(proc)
        time.sleep(0.5)
        dead = [
            (inst, p) for inst, p in zip(self.instances, self._procs, strict=False) if p.poll() is not None
        ]
        if dead:
            self.stop()
            inst, proc = dead[0]
            tail = (inst.workdir / "out.log").read_text(errors="replace")[-400:]
            raise Px4SitlError(f"instance {inst.index} exited at once (code {proc.returncode}): {tail}")

    def stop(self, timeout_s: float = 5.0) -> None:
        """SIGINT (PX4 shuts down as on Ctrl-C), then SIGTERM, then SIGKILL, per process group."""
        procs, self._procs = self._procs, []
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            alive = [p for p in procs if p.poll() is None]
            if not alive:
                return
            for proc in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
            deadline = time.monotonic() + timeout_s
            for proc in alive:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(max(0.0, deadline - time.monotonic()))

    @property
    def running(self) -> list[bool]:
        return [p.poll() is None for p in self._procs]


def spaced_homes(count: int, home: Px4Home, spacing_m: float = 5.0) -> list[Px4Home]:
    """``count`` homes in a row going north from ``home``, ``spacing_m`` apart (as the sim fleet)."""
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    step_deg = math.degrees(spacing_m / 6_371_008.8)
    return [Px4Home(home.lat_deg + i * step_deg, home.lon_deg, home.alt_m) for i in range(count)]


def parse_home(text: str) -> Px4Home:
    """``LON,LAT[,ALT_M]`` (the CLI's order, as GeoJSON) -> :class:`Px4Home`."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (2, 3):
        raise ValueError(f"home must be LON,LAT[,ALT_M], got {text!r}")
    try:
        lon, lat, *alt = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"home must be numbers LON,LAT[,ALT_M], got {text!r}") from None
    return Px4Home(lat, lon, alt[0] if alt else 0.0)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.px4_sitl --count 3 --home 113.73,34.76,95``: run PX4 SITL instances until Ctrl-C."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description="Run N PX4 SITL (SIH) instances; prints their MAVLink URLs.")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--home", type=parse_home, required=True, help="LON,LAT[,ALT_M] of instance 0")
    parser.add_argument("--spacing-m", type=float, default=5.0)
    parser.add_argument("--speed", type=float, default=1.0, help="PX4_SIM_SPEED_FACTOR")
    parser.add_argument("--home-format", choices=("deg", "deg_e7"), default=None)
    parser.add_argument("--root", type=Path, default=None, help="working directories (default: a temp dir)")
    args = parser.parse_args(argv)
    try:
        px4 = px4_binary_from_env()
        if px4 is None:
            raise Px4SitlError("set SKYLOOP_PX4_BIN to the px4 binary (build/px4_sitl_default/bin/px4)")
        fmt = args.home_format or os.environ.get("SKYLOOP_PX4_HOME_FORMAT", "deg")
        if fmt not in ("deg", "deg_e7"):
            raise ValueError(f"SKYLOOP_PX4_HOME_FORMAT must be deg or deg_e7, got {fmt!r}")
        home_format: HomeFormat = "deg_e7" if fmt == "deg_e7" else "deg"
        root = args.root or Path(tempfile.mkdtemp(prefix="skyloop-px4-"))
        homes = spaced_homes(args.count, args.home, args.spacing_m)
        plans = plan_instances(px4, homes, root, speed_factor=args.speed, home_format=home_format)
        with Px4Sitl(plans):
            stop = {signal.SIGINT, signal.SIGTERM}
            signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # after the children started: not inherited
            for plan in plans:
                print(f"instance {plan.index}: sysid {plan.system_id} {plan.mavlink_url} ({plan.workdir})")
            sys.stdout.flush()
            signal.sigwait(stop)
    except (Px4SitlError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
