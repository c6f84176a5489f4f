"""``skyloop payload detect/georef``: JSON output, georeferenced detections, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mission.cli import main
from payload.frames import write_radiometric
from tests.unit.payload.test_fire_smoke import background, flame
from tests.unit.payload.test_thermal_infrared import night_scene

POSE = "113.755,34.8,60,0,-90"
IR_HFOV = "31.8"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_georef_prints_lon_lat_uncertainty(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        [
            "payload",
            "georef",
            "--pose",
            "121.4737,31.2304,100,45,-45",
            "--hfov-deg",
            "70",
            "--size",
            "1920,1080",
            "--pixel",
            "1500,300",
        ],
        capsys,
    )
    assert code == 0
    lon, lat, unc = (float(x) for x in out.split())
    assert (lon, lat) == pytest.approx((121.4752583, 31.2308778), abs=1e-7)
    assert 3.0 < unc < 15.0


def test_thermal_file_to_georeferenced_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t, people = night_scene()
    write_radiometric(tmp_path / "ir.png", t)  # 16-bit centikelvin
    code, out, _ = run(
        [
            "payload",
            "detect",
            "--input",
            str(tmp_path / "ir.png"),
            "--pose",
            POSE,
            "--hfov-deg",
            IR_HFOV,
            "--format",
            "json",
        ],
        capsys,
    )
    assert code == 0
    found = json.loads(out)
    classes = sorted(r["class"] for r in found)
    assert classes == ["hot_spot"] + ["warm_body"] * len(people)
    for r in found:
        assert len(r["bbox"]) == 4 and 0 < r["confidence"] <= 1
        assert abs(r["lon"] - 113.755) < 0.001 and abs(r["lat"] - 34.8) < 0.001 and r["uncertainty_m"] > 0


def test_rgb_directory_is_one_sequence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(3)
    for i in range(8):
        img = background(rng)
        flame(img, rng)
        cv2.imwrite(str(tmp_path / f"f{i:02d}.png"), img)
    code, out, _ = run(
        ["payload", "detect", "--input", str(tmp_path), "--kind", "rgb", "--format", "json"], capsys
    )
    assert code == 0
    fires = [r for r in json.loads(out) if r["class"] == "fire"]
    assert fires and {r["frame"] for r in fires} <= set(range(4, 8))  # only once flicker is seen
    assert "lon" not in fires[0]


def test_onnx_model_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.unit.payload.test_onnx_detector import ROWS_V8, constant_model

    model = constant_model(tmp_path / "m.onnx", ROWS_V8.T[None].copy())
    (tmp_path / "m.names").write_text("person\ncar\n")
    img = tmp_path / "img.jpg"
    cv2.imwrite(str(img), np.zeros((480, 640, 3), np.uint8))
    code, out, _ = run(
        [
            "payload",
            "detect",
            "--input",
            str(img),
            "--model",
            str(model),
            "--model-size",
            "320",
            "--detectors",
            "person",
            "--format",
            "json",
        ],
        capsys,
    )
    assert code == 0
    assert [(r["class"], r["bbox"]) for r in json.loads(out)][:2] == [
        ("person", [160.0, 100.0, 80.0, 120.0]),
        ("car", [370.0, 290.0, 60.0, 60.0]),
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["payload", "detect", "--input", "{tmp}/missing.png"], "no such file"),
        (["payload", "detect", "--input", "{tmp}/junk.png"], "not a readable image"),
        (["payload", "detect", "--input", "{tmp}/cube.npy"], "2-D"),
        (["payload", "detect", "--input", "{tmp}/cube.npy", "--kind", "infrared"], "--kind"),
        (["payload", "detect", "--input", "{tmp}/ok.npy", "--pose", "1,2,3"], "--pose needs 5"),
        (["payload", "detect", "--input", "{tmp}/ok.npy", "--pose", POSE], "--hfov-deg"),
        (["payload", "detect", "--input", "{tmp}/ok.npy", "--detectors", "unicorn"], "unknown name"),
        (["payload", "detect", "--input", "{tmp}/ok.npy", "--model", "{tmp}/junk.png"], "cannot load"),
        (
            ["payload", "georef", "--pose", POSE, "--hfov-deg", "70", "--size", "640,x", "--pixel", "1,1"],
            "--size",
        ),
        (
            [
                "payload",
                "georef",
                "--pose",
                POSE,
                "--hfov-deg",
                "70",
                "--size",
                "640,480",
                "--pixel",
                "700,1",
            ],
            "outside",
        ),
        (
            [
                "payload",
                "georef",
                "--pose",
                "113,34,60,0,-5",
                "--hfov-deg",
                "70",
                "--size",
                "640,480",
                "--pixel",
                "320,0",
            ],
            "horizon",
        ),
        (
            [
                "payload",
                "georef",
                "--pose",
                "200,34,60,0,-90",
                "--hfov-deg",
                "70",
                "--size",
                "64,48",
                "--pixel",
                "1,1",
            ],
            "out of range",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    (tmp_path / "junk.png").write_bytes(b"garbage")
    np.save(tmp_path / "cube.npy", np.zeros((2, 3, 4)))
    np.save(tmp_path / "ok.npy", np.full((48, 64), 12.0))
    code, out, err = run([a.replace("{tmp}", str(tmp_path)) for a in argv], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("skyloop: error:") and message in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--detect", "fire"], "unsupported classes"),  # no camera configured: nothing to detect with
        (["--broker", "http://example"], "--broker"),
        (["--seconds", "soon"], "--seconds"),
        (["--pose", "1,2"], "--pose"),
    ],
)
def test_agent_refuses_bad_options_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code, _, err = run(["payload", "agent", "--audio-dir", str(tmp_path), *extra], capsys)
    assert code == 2 and err.count("\n") == 1 and message in err, err
