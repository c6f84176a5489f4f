"""Box arithmetic shared by the pixel detectors: IoU, greedy non-maximum suppression, letterboxing.

>>> boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 5, 5]], float)
>>> nms(boxes, np.array([0.9, 0.8, 0.7]), 0.5)
[0, 2]
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def iou(box: F64, others: F64) -> F64:
    """IoU of one ``[x, y, w, h]`` box with each row of ``others``."""
    x0 = np.maximum(box[0], others[:, 0])
    y0 = np.maximum(box[1], others[:, 1])
    x1 = np.minimum(box[0] + box[2], others[:, 0] + others[:, 2])
    y1 = np.minimum(box[1] + box[3], others[:, 1] + others[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    union = box[2] * box[3] + others[:, 2] * others[:, 3] - inter
    result: F64 = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return result


def nms(boxes: F64, scores: npt.NDArray[np.floating], iou_threshold: float) -> list[int]:
    """Indices kept by greedy NMS, highest score first (ties keep the earlier box)."""
    order = list(np.argsort(-np.asarray(scores), kind="stable"))
    keep: list[int] = []
    while order:
        best = int(order.pop(0))
        keep.append(best)
        if order:
            rest = np.array(order)
            overlaps = iou(boxes[best], boxes[rest])
            order = [int(i) for i, o in zip(rest, overlaps, strict=True) if o <= iou_threshold]
    return keep


@dataclass(frozen=True)
class Letterbox:
    """How an image was fitted into a square network input: ``input = image * scale + (pad_x, pad_y)``."""

    scale: float
    pad_x: float
    pad_y: float

    def to_image(self, boxes_xywh: F64) -> F64:
        """Boxes in network-input pixels back to image pixels."""
        out = boxes_xywh.astype(np.float64).copy()
        out[:, 0] = (out[:, 0] - self.pad_x) / self.scale
        out[:, 1] = (out[:, 1] - self.pad_y) / self.scale
        out[:, 2:] /= self.scale
        return out


def letterbox(
    bgr: npt.NDArray[np.uint8], size: int, fill: int = 114
) -> tuple[npt.NDArray[np.uint8], Letterbox]:
    """Resize keeping the aspect ratio and pad to ``size`` x ``size`` (centred, YOLO style)."""
    h, w = bgr.shape[:2]
    scale = min(size / w, size / h)
    nw, nh = round(w * scale), round(h * scale)
    resized = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = (size - nw) // 2, (size - nh) // 2
    canvas = np.full((size, size, 3), fill, np.uint8)
    canvas[pad_y : pad_y + nh, pad_x : pad_x + nw] = resized
    return canvas, Letterbox(scale, float(pad_x), float(pad_y))
