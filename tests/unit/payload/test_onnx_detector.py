"""The ONNX plug-in end to end through cv2.dnn, on weight-free models built here whose output is a
known constant tensor: letterbox scaling, decoding, thresholding and NMS are checked exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from payload.detectors.onnx_detector import OnnxDetector, OnnxModelError

onnx = pytest.importorskip("onnx", reason="the 'onnx' package (dev extra) builds the test models")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

SIZE = 320
ROWS_V8 = np.array(  # cx, cy, w, h, score(person), score(car) in network-input pixels
    [
        [100, 120, 40, 60, 0.9, 0.1],  # A: person
        [102, 122, 40, 60, 0.8, 0.05],  # B: same person, lower score -> suppressed by NMS
        [200, 200, 30, 30, 0.05, 0.7],  # C: car
        [50, 50, 10, 10, 0.1, 0.2],  # D: below the confidence threshold
        [100, 120, 40, 60, 0.0, 0.6],  # E: a car on A's box: other class, kept
        [5, 45, 20, 20, 0.5, 0.0],  # F: partly outside the image -> clipped
    ],
    dtype=np.float32,
)
# 640x480 frame -> scale 0.5 into 320x240, padded 40 px top and bottom
EXPECTED = [
    ("person", 0.9, (160.0, 100.0, 80.0, 120.0)),
    ("car", 0.7, (370.0, 290.0, 60.0, 60.0)),
    ("car", 0.6, (160.0, 100.0, 80.0, 120.0)),
    ("person", 0.5, (0.0, 0.0, 30.0, 30.0)),
]


def constant_model(path: Path, output: np.ndarray) -> Path:
    """``output = ReduceMean(images) * 0 + C``: runs like a detector, answers a constant."""
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=1),
        helper.make_node("Mul", ["mean", "zero"], ["zeroed"]),
        helper.make_node("Add", ["zeroed", "C"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "constant_detector",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(output.shape))],
        initializer=[
            numpy_helper.from_array(output, "C"),
            numpy_helper.from_array(np.zeros(1, np.float32), "zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def check(found, expected=EXPECTED) -> None:
    assert [(d.label, round(d.confidence, 6)) for d in found] == [(n, c) for n, c, _ in expected]
    for d, (_, _, box) in zip(found, expected, strict=True):
        assert d.bbox_px == pytest.approx(box, abs=1e-3)


def test_yolov8_layout_decoding_scaling_and_nms(tmp_path: Path) -> None:
    model = constant_model(tmp_path / "tiny.onnx", ROWS_V8.T[None].copy())  # [1, 4+nc, N]
    (tmp_path / "tiny.names").write_text("person\ncar\n")
    det = OnnxDetector(model, input_size_px=SIZE)
    found = det.detect(np.zeros((480, 640, 3), np.uint8))
    check(found)
    assert all(d.source == "onnx:tiny" for d in found)


def test_yolov5_layout_multiplies_objectness(tmp_path: Path) -> None:
    obj = np.full((len(ROWS_V8), 1), 0.5, np.float32)
    rows = np.hstack([ROWS_V8[:, :4], obj, ROWS_V8[:, 4:] * 2]).astype(np.float32)  # score*2 * 0.5
    model = constant_model(tmp_path / "v5.onnx", rows[None].copy())  # [1, N, 5+nc]
    det = OnnxDetector(model, input_size_px=SIZE, class_names=["person", "car"], layout="yolov5")
    check(det.detect(np.zeros((480, 640, 3), np.uint8)))


def test_unnamed_classes_and_thresholds(tmp_path: Path) -> None:
    model = constant_model(tmp_path / "anon.onnx", ROWS_V8.T[None].copy())
    found = OnnxDetector(model, input_size_px=SIZE, conf_threshold=0.65).detect(
        np.zeros((480, 640, 3), np.uint8)
    )
    assert [(d.label, round(d.confidence, 6)) for d in found] == [("class_0", 0.9), ("class_1", 0.7)]


def test_bad_model_files(tmp_path: Path) -> None:
    with pytest.raises(OnnxModelError, match="no such model"):
        OnnxDetector(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00not a protobuf at all")
    with pytest.raises(OnnxModelError, match="cannot load"):
        OnnxDetector(junk)
    model = constant_model(tmp_path / "narrow.onnx", np.zeros((1, 3, 10), np.float32))
    with pytest.raises(OnnxModelError, match="narrow"):
        OnnxDetector(model, input_size_px=SIZE).detect(np.zeros((100, 100, 3), np.uint8))


def test_tiles_run_at_full_resolution_and_map_back(tmp_path: Path) -> None:
    one = np.array([[100, 120, 40, 60, 0.9, 0.1]], dtype=np.float32)  # the same box in every tile
    model = constant_model(tmp_path / "one.onnx", one.T[None].copy())
    det = OnnxDetector(model, input_size_px=SIZE, class_names=["person", "car"], tile=True, tile_overlap_px=0)
    found = det.detect(np.zeros((320, 700, 3), np.uint8))  # tiles at x = 0, 320 and 380 (last one flush)
    boxes = sorted(d.bbox_px for d in found)
    assert boxes == [(80.0, 90.0, 40.0, 60.0), (400.0, 90.0, 40.0, 60.0), (460.0, 90.0, 40.0, 60.0)]
    # with overlap the tiles' duplicate of one object is merged by NMS
    det.tile_overlap_px = 300
    found = det.detect(np.zeros((320, 325, 3), np.uint8))  # tiles at x = 0 and 5: boxes 5 px apart
    assert len(found) == 1 and found[0].bbox_px == (80.0, 90.0, 40.0, 60.0)
