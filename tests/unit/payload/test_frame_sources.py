"""Frame sources: OpenCV capture of a video file, a directory of files, bad sources."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from payload.frames import CaptureFrameSource, FileFrameSource, FrameReadError, write_radiometric
from payload.model import CameraPose, FrameKind

POSE = CameraPose(113.755, 34.8, 80.0)


def test_capture_of_a_video_file(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (160, 120))
    if not writer.isOpened():
        pytest.skip("this OpenCV build cannot write MJPG AVI files")
    for i in range(5):
        writer.write(np.full((120, 160, 3), 40 * i, np.uint8))
    writer.release()
    ticks = iter(float(t) for t in range(100))
    source = CaptureFrameSource(str(path), 70.0, pose_at=lambda t: POSE, clock=lambda: next(ticks))
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    source.close()
    assert len(frames) == 5
    assert [f.t_s for f in frames] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert all(f.kind is FrameKind.RGB and f.pose == POSE and f.camera.width_px == 160 for f in frames)
    assert frames[4].image.mean() == pytest.approx(160, abs=3)


def test_unopenable_capture_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FrameReadError, match="cannot open"):
        CaptureFrameSource(str(tmp_path / "nothing.avi"), 70.0)


def test_directory_source_mixes_kinds_in_name_order(tmp_path: Path) -> None:
    write_radiometric(tmp_path / "a.npy", np.full((64, 80), 21.5, np.float32))
    cv2.imwrite(str(tmp_path / "b.png"), np.zeros((48, 64, 3), np.uint8))
    write_radiometric(tmp_path / "c.png", np.full((64, 80), 30.0, np.float32))
    (tmp_path / "notes.txt").write_text("ignored")
    source = FileFrameSource(tmp_path, hfov_deg=40.0, pose=POSE, period_s=0.5)
    frames = [source.read(), source.read(), source.read(), source.read()]
    assert frames[3] is None
    kinds = [f.kind for f in frames[:3] if f is not None]
    assert kinds == [FrameKind.THERMAL, FrameKind.RGB, FrameKind.THERMAL]
    assert [f.t_s for f in frames[:3] if f is not None] == [0.0, 0.5, 1.0]
    assert frames[2] is not None and float(frames[2].image.mean()) == pytest.approx(30.0, abs=0.01)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FrameReadError, match="no image"):
        FileFrameSource(tmp_path / "empty")
