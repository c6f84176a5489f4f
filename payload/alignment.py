"""Frame-to-frame registration that cancels a hovering drone's drift: ORB features, brute-force
Hamming matching with a ratio test, and a RANSAC homography (reference/payload.md §4.2).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]


def to_grey(image: npt.NDArray[np.generic]) -> U8:
    """8-bit grey of a BGR image or of a float (thermal) image scaled to its own range."""
    if image.ndim == 3:
        grey: U8 = np.asarray(
            cv2.cvtColor(np.asarray(image, dtype=np.uint8), cv2.COLOR_BGR2GRAY), dtype=np.uint8
        )
        return grey
    f = np.asarray(image, dtype=np.float32)
    lo, hi = float(np.percentile(f, 1)), float(np.percentile(f, 99))
    scaled: U8 = np.clip((f - lo) * 255.0 / max(hi - lo, 1e-3), 0, 255).astype(np.uint8)
    return scaled


class FrameAligner:
    """Estimates the homography that maps a frame onto a fixed reference frame."""

    def __init__(self, reference_grey: U8, n_features: int = 1000, min_inliers: int = 25) -> None:
        self._orb = cv2.ORB.create(n_features)
        self._matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        self._ref_kp, self._ref_desc = self._orb.detectAndCompute(reference_grey, None)
        self.min_inliers = min_inliers
        self.shape = reference_grey.shape

    @property
    def featureless(self) -> bool:
        """The reference has too little texture to register against (then assume a still camera)."""
        return self._ref_desc is None or len(self._ref_kp) < self.min_inliers

    def homography(self, grey: U8) -> F64 | None:
        """3x3 matrix mapping ``grey``'s pixels to the reference's, or None if it cannot be trusted."""
        if self._ref_desc is None or len(self._ref_kp) < self.min_inliers:
            return None
        kp, desc = self._orb.detectAndCompute(grey, None)
        if desc is None or len(kp) < self.min_inliers:
            return None
        pairs = self._matcher.knnMatch(desc, self._ref_desc, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.75 * p[1].distance]
        if len(good) < self.min_inliers:
            return None
        src = np.array([kp[m.queryIdx].pt for m in good], dtype=np.float32).reshape(-1, 1, 2)
        dst = np.array([self._ref_kp[m.trainIdx].pt for m in good], dtype=np.float32).reshape(-1, 1, 2)
        h, inliers = cv2.findHomography(src, dst, cv2.RANSAC, 2.0)
        if h is None or inliers is None or int(inliers.sum()) < self.min_inliers:
            return None
        return np.asarray(h, dtype=np.float64)

    def warp(self, image: npt.NDArray[np.generic], h: F64) -> tuple[npt.NDArray[np.generic], U8]:
        """``image`` warped into the reference frame, and the mask (255) of where it has data."""
        size = (self.shape[1], self.shape[0])
        warped = cv2.warpPerspective(
            np.asarray(image, dtype=np.float32)
            if image.dtype != np.uint8
            else np.asarray(image, dtype=np.uint8),
            h,
            size,
            flags=cv2.INTER_LINEAR,
        )
        valid = cv2.warpPerspective(np.full(image.shape[:2], 255, np.uint8), h, size, flags=cv2.INTER_NEAREST)
        valid = cv2.erode(valid, np.ones((5, 5), np.uint8))
        return np.asarray(warped), np.asarray(valid, dtype=np.uint8)
