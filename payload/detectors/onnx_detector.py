"""A user-supplied YOLO-family ONNX detector run through ``cv2.dnn`` (no onnxruntime needed).

We ship no weights (the PyPI detectors found are AGPL or unlicensed, reference/payload.md §2): the
operator brings a model file, e.g. a permissively licensed YOLOX/YOLOv9-MIT export or an aerial
model trained on VisDrone/HIT-UAV. Supported output layouts, decided from the shape:

* ``yolov8`` (also YOLO11): ``[1, 4 + nc, N]`` rows ``cx, cy, w, h, score_0 … score_nc-1``;
* ``yolov5``: ``[1, N, 5 + nc]`` rows ``cx, cy, w, h, objectness, score_0 …`` (score × objectness).

Boxes are in network-input pixels of a letterboxed square input; they are mapped back to the frame,
clipped, filtered by ``conf_threshold`` and reduced by per-class NMS. ``tile=True`` runs the model on
input-sized tiles of the full-resolution frame (overlapping by ``tile_overlap_px``) instead of
shrinking the frame: from 60–120 m people are a few pixels and shrinking loses them (ref §2.1).
Class names come from ``<model>.names`` (one per line) next to the file, or ``class_names``; else
``class_<i>``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from payload.detectors.boxes import letterbox, nms
from payload.model import Detection

F32 = npt.NDArray[np.float32]


class OnnxModelError(ValueError):
    """The model file cannot be loaded or its output is not a YOLO-style detection tensor."""


def _names_beside(path: Path) -> list[str] | None:
    sidecar = path.with_suffix(".names")
    if sidecar.is_file():
        return [line.strip() for line in sidecar.read_text(encoding="utf-8").splitlines() if line.strip()]
    return None


class OnnxDetector:
    """A :class:`payload.ports.PixelDetector` over an ONNX file."""

    def __init__(
        self,
        model_path: Path,
        input_size_px: int = 640,
        conf_threshold: float = 0.25,
        nms_iou: float = 0.45,
        class_names: list[str] | None = None,
        layout: str = "auto",
        max_detections: int = 300,
        tile: bool = False,
        tile_overlap_px: int = 64,
    ) -> None:
        if not model_path.is_file():
            raise OnnxModelError(f"{model_path}: no such model file")
        try:
            self._net = cv2.dnn.readNetFromONNX(str(model_path))
        except cv2.error as exc:
            first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
            raise OnnxModelError(f"{model_path}: cv2.dnn cannot load it ({first})") from None
        if layout not in ("auto", "yolov8", "yolov5"):
            raise OnnxModelError(f"unknown layout {layout!r} (auto, yolov8 or yolov5)")
        self.model_name = model_path.stem
        self.input_size_px = input_size_px
        self.conf_threshold = conf_threshold
        self.nms_iou = nms_iou
        self.class_names = class_names or _names_beside(model_path)
        self.layout = layout
        self.max_detections = max_detections
        self.tile = tile
        self.tile_overlap_px = tile_overlap_px

    @property
    def source(self) -> str:
        return f"onnx:{self.model_name}"

    def infer(self, bgr: npt.NDArray[np.uint8]) -> tuple[F32, float, float, float]:
        """Raw output rows ``(N, C)`` and the letterbox (scale, pad_x, pad_y)."""
        canvas, lb = letterbox(bgr, self.input_size_px)
        blob = cv2.dnn.blobFromImage(
            canvas, 1.0 / 255.0, (self.input_size_px, self.input_size_px), swapRB=True
        )
        self._net.setInput(blob)
        out = np.asarray(self._net.forward(), dtype=np.float32)
        if out.ndim < 2 or out.size == 0:
            raise OnnxModelError(f"model output has shape {out.shape}: not a detection tensor")
        rows = out.reshape(out.shape[-2], out.shape[-1])
        return rows, lb.scale, lb.pad_x, lb.pad_y

    def _rows(self, raw: F32) -> tuple[F32, F32]:
        """(boxes cx,cy,w,h; class scores) from a raw 2-D output, whatever its orientation."""
        layout = self.layout
        nc = len(self.class_names) if self.class_names else None
        if layout == "auto":
            if nc is not None and (nc + 5) in raw.shape and (nc + 4) not in raw.shape:
                layout = "yolov5"
            else:
                layout = "yolov8"
        width = (nc + (5 if layout == "yolov5" else 4)) if nc is not None else None
        if width is not None:
            if raw.shape == (width, width):  # square: each layout's own convention
                rows = raw.T if layout == "yolov8" else raw
            elif raw.shape[0] == width:
                rows = raw.T
            elif raw.shape[1] == width:
                rows = raw
            else:
                raise OnnxModelError(f"output {raw.shape} does not fit {nc} classes in the {layout} layout")
        elif layout == "yolov8":  # channels first [4+nc, N] unless clearly transposed
            rows = raw if raw.shape[0] > raw.shape[1] else raw.T
        else:  # [N, 5+nc] unless clearly transposed
            rows = raw if raw.shape[0] >= raw.shape[1] else raw.T
        min_cols = 6 if layout == "yolov5" else 5
        if rows.shape[1] < min_cols:
            raise OnnxModelError(f"output {raw.shape} is too narrow for the {layout} layout")
        boxes = rows[:, :4]
        scores = rows[:, 5:] * rows[:, 4:5] if layout == "yolov5" else rows[:, 4:]
        return np.asarray(boxes, np.float32), np.asarray(scores, np.float32)

    def _decode(
        self, bgr: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        """Boxes ``[x, y, w, h]`` in ``bgr``'s pixels (clipped), class ids and confidences above threshold."""
        raw, scale, pad_x, pad_y = self.infer(bgr)
        boxes, scores = self._rows(raw)
        cls = scores.argmax(axis=1)
        conf = scores[np.arange(len(scores)), cls]
        ok = conf >= self.conf_threshold
        b, cls, conf64 = boxes[ok].astype(np.float64), cls[ok], conf[ok].astype(np.float64)
        h, w = bgr.shape[:2]
        x0 = np.clip((b[:, 0] - b[:, 2] / 2 - pad_x) / scale, 0, w)
        y0 = np.clip((b[:, 1] - b[:, 3] / 2 - pad_y) / scale, 0, h)
        x1 = np.clip((b[:, 0] + b[:, 2] / 2 - pad_x) / scale, 0, w)
        y1 = np.clip((b[:, 1] + b[:, 3] / 2 - pad_y) / scale, 0, h)
        return np.stack([x0, y0, x1 - x0, y1 - y0], axis=1), cls, conf64

    def _tiles(self, width: int, height: int) -> list[tuple[int, int]]:
        size = self.input_size_px
        step = max(size - self.tile_overlap_px, 1)

        def starts(extent: int) -> list[int]:
            if extent <= size:
                return [0]
            out = list(range(0, extent - size, step))
            return [*out, extent - size]

        return [(x, y) for y in starts(height) for x in starts(width)]

    def detect(self, bgr: npt.NDArray[np.uint8]) -> list[Detection]:
        """Whole frame letterboxed into the input, or (``tile=True``) input-sized tiles at full
        resolution — small objects from altitude survive — merged by per-class NMS."""
        if not self.tile:
            xywh, cls, conf = self._decode(bgr)
        else:
            parts = []
            size = self.input_size_px
            for x, y in self._tiles(bgr.shape[1], bgr.shape[0]):
                tile_boxes, tile_cls, tile_conf = self._decode(
                    np.ascontiguousarray(bgr[y : y + size, x : x + size])
                )
                tile_boxes[:, 0] += x
                tile_boxes[:, 1] += y
                parts.append((tile_boxes, tile_cls, tile_conf))
            xywh = np.concatenate([p[0] for p in parts])
            cls = np.concatenate([p[1] for p in parts])
            conf = np.concatenate([p[2] for p in parts])
        found: list[tuple[float, Detection]] = []
        for c in np.unique(cls):
            idx = np.flatnonzero(cls == c)
            for k in nms(xywh[idx], conf[idx], self.nms_iou):
                i = int(idx[k])
                name = (
                    self.class_names[int(c)]
                    if self.class_names and int(c) < len(self.class_names)
                    else f"class_{c}"
                )
                box = (float(xywh[i, 0]), float(xywh[i, 1]), float(xywh[i, 2]), float(xywh[i, 3]))
                found.append((float(conf[i]), Detection(name, float(conf[i]), box, self.source)))
        found.sort(key=lambda item: -item[0])
        return [d for _, d in found[: self.max_detections]]
