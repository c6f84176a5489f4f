"""People with OpenCV's HOG + linear SVM (INRIA 64x128 or Daimler 48x96, in opencv-contrib).

HOG needs people at least ~128 px tall, so it only applies low and tilted (below ~30 m with an
oblique gimbal, or zoomed in); from 60–120 m at nadir use the thermal warm-body rule or an ONNX
model. ``upscale`` enlarges the frame first when people are expected smaller than the window.
Settings that worked on elevated views (reference/payload.md §1.2): stride 8, padding 8, scale 1.05.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from payload.detectors.boxes import nms
from payload.model import Detection, Label

SOURCE = "hog"


class HogUnavailableError(RuntimeError):
    """This OpenCV build has no HOGDescriptor (OpenCV 5 keeps it in opencv-contrib)."""


class HogPeopleDetector:
    """A :class:`payload.ports.PixelDetector` for upright people."""

    def __init__(
        self,
        expected_person_px: float | None = None,
        hit_threshold: float = 0.0,
        min_weight: float = 0.5,
        win_stride_px: int = 8,
        scale: float = 1.05,
        nms_iou: float = 0.45,
        daimler: bool = False,
    ) -> None:
        if not hasattr(cv2, "HOGDescriptor"):
            raise HogUnavailableError("cv2.HOGDescriptor is missing: install opencv-contrib-python-headless")
        if daimler:
            self._hog = cv2.HOGDescriptor((48, 96), (16, 16), (8, 8), (8, 8), 9)
            self._hog.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDaimlerPeopleDetector(), np.float32))
            window_h = 96
        else:
            self._hog = cv2.HOGDescriptor()
            self._hog.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), np.float32))
            window_h = 128
        self.upscale = 1.0 if expected_person_px is None else max(1.0, window_h / expected_person_px)
        self.hit_threshold = hit_threshold
        self.min_weight = min_weight
        self.stride = (win_stride_px, win_stride_px)
        self.scale = scale
        self.nms_iou = nms_iou

    def detect(self, bgr: npt.NDArray[np.uint8]) -> list[Detection]:
        img = bgr
        if self.upscale > 1.0:
            img = np.asarray(cv2.resize(bgr, None, fx=self.upscale, fy=self.upscale), dtype=np.uint8)
        rects, weights = self._hog.detectMultiScale(
            img, hitThreshold=self.hit_threshold, winStride=self.stride, padding=(8, 8), scale=self.scale
        )
        if len(rects) == 0:
            return []
        boxes = np.asarray(rects, dtype=np.float64).reshape(-1, 4) / self.upscale
        scores = np.asarray(weights, dtype=np.float64).reshape(-1)
        keep = [i for i in nms(boxes, scores, self.nms_iou) if scores[i] >= self.min_weight]
        return [
            Detection(
                Label.PERSON,
                1.0 / (1.0 + math.exp(-float(scores[i]))),
                (float(boxes[i, 0]), float(boxes[i, 1]), float(boxes[i, 2]), float(boxes[i, 3])),
                SOURCE,
            )
            for i in keep
        ]
