"""Exact and near-duplicate photos: resized, recompressed or slightly cropped copies.

Two stages, because a perceptual hash alone matches different objects of the same silhouette
(two pairs of trousers on the same floor):
1. candidates: 64-bit pHashes of the photo and of nine 90% crops (centre, corners, sides), so
   a copy cropped by up to ~10% still lands within a few bits of one of them;
2. verification: ORB keypoints matched between the two photos must agree on one similarity
   transform (RANSAC), and once aligned by it (and by a per-channel gain and offset, for
   brightness and contrast edits) the two blurred thumbnails must agree pixel by pixel almost
   everywhere: different items photographed on one table share keypoints on the table, but not
   the pixels of the item. Photos too plain for keypoints are compared without moving them.

Measured on the clothing-small photos (3,781; see docs/benchmarks.md): 97-99% of resized,
recompressed and 5-10% cropped copies verified; of 6,921 candidate pairs among the originals,
one verified: the same photo filed under two labels.

    signature = image_signature(rgb)            # per photo, picklable
    clusters = duplicate_clusters(signatures, sha256s)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import imagehash
import numpy as np
from PIL import Image

CROP = 0.9  # side fraction kept by the shifted crops
CANDIDATE_DISTANCE = 10  # bits of 64
PLAIN_DISTANCE = 2  # bits, for photos without enough keypoints
SIGNATURE_SIDE = 256  # pixels, longer side, for keypoints
THUMBNAIL_SIDE = 64  # pixels, longer side, for the pixel comparison
# Few keypoints suffice: the aligned-pixel comparison below is what decides.
MIN_KEYPOINTS = 8
MIN_INLIERS = 6
MIN_INLIER_SHARE = 0.3
MIN_OVERLAP = 0.5  # share of the first thumbnail covered by the aligned second one
# 80th percentile of the aligned, blurred pixel difference (0-255): copies measure 2-9, different
# items on the same background 18-20.
MAX_RESIDUAL = 12.0


@dataclass(frozen=True)
class Signature:
    hashes: tuple[int, ...]  # pHash of the full photo, then of the nine 90% crops
    points: np.ndarray  # (N, 2) float32 keypoint positions, in thumbnail pixels
    descriptors: np.ndarray  # (N, 32) uint8 ORB descriptors
    thumbnail: np.ndarray  # (h, w, 3) uint8, longer side THUMBNAIL_SIDE

    @property
    def phash(self) -> int:
        return self.hashes[0]


def _crops(image: Image.Image) -> list[Image.Image]:
    """The centre, the four corners and the four sides, each keeping CROP of a side."""
    w, h = image.size
    cw, ch = round(w * CROP), round(h * CROP)
    boxes = [((w - cw) // 2, (h - ch) // 2, cw, ch)]
    boxes += [(x, y, cw, ch) for x in (0, w - cw) for y in (0, h - ch)]
    boxes += [(0, 0, cw, h), (w - cw, 0, cw, h), (0, 0, w, ch), (0, h - ch, w, ch)]
    return [image.crop((x, y, x + bw, y + bh)) for x, y, bw, bh in boxes]


def image_signature(image: Image.Image) -> Signature:
    """pHashes and ORB keypoints of an RGB photo (any size; it is scaled down here)."""
    # Every photo at the same scale (small ones enlarged) so keypoints are comparable.
    scale = SIGNATURE_SIDE / max(image.size)
    small = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    hashes = tuple(int(str(imagehash.phash(x, hash_size=8)), 16) for x in [small, *_crops(small)])
    thumbnail = small.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    scale = thumbnail.size[0] / small.size[0]
    gray = cv2.cvtColor(np.asarray(small), cv2.COLOR_RGB2GRAY)
    keypoints, descriptors = cv2.ORB_create(nfeatures=400).detectAndCompute(gray, None)
    if descriptors is None:
        points, descriptors = np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8)
    else:
        points = np.array([k.pt for k in keypoints], dtype=np.float32) * scale
    return Signature(hashes, points, descriptors, np.asarray(thumbnail).copy())


def candidate_pairs(signatures: Sequence[Signature | None]) -> list[tuple[int, int]]:
    """Pairs (i < j) whose full-photo hash is close to the other's full or cropped hash."""
    index = np.array([i for i, s in enumerate(signatures) if s is not None], dtype=np.int64)
    if len(index) < 2:
        return []
    table = np.array([signatures[i].hashes for i in index], dtype=np.uint64)  # (n, 10)
    full = table[:, 0]
    pairs = set()
    for start in range(0, len(index), 512):
        block = table[start : start + 512]
        # Each block row's full hash against all hashes, and its crops against all full hashes.
        near = (
            np.bitwise_count(block[:, :1, None] ^ table.T[None, :, :]) <= CANDIDATE_DISTANCE
        ).any(1)
        near |= (
            np.bitwise_count(block[:, 1:, None] ^ full[None, None, :]) <= CANDIDATE_DISTANCE
        ).any(1)
        for row, col in zip(*np.nonzero(near), strict=True):
            i, j = int(index[start + row]), int(index[col])
            if i != j:
                pairs.add((min(i, j), max(i, j)))
    return sorted(pairs)


def same_photo(a: Signature, b: Signature) -> bool:
    """Do two signatures show the same pixels (up to scale, crop, small rotation, compression)?"""
    if len(a.descriptors) < MIN_KEYPOINTS or len(b.descriptors) < MIN_KEYPOINTS:
        if int(a.phash ^ b.phash).bit_count() > PLAIN_DISTANCE:
            return False
        height, width = a.thumbnail.shape[:2]
        scale = np.array(
            [[b.thumbnail.shape[1] / width, 0, 0], [0, b.thumbnail.shape[0] / height, 0]]
        )
        return aligned_residual(a.thumbnail, b.thumbnail, scale) <= MAX_RESIDUAL
    matches = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(a.descriptors, b.descriptors, k=2)
    good = [m[0] for m in matches if len(m) == 2 and m[0].distance < 0.75 * m[1].distance]
    if len(good) < MIN_INLIERS:
        return False
    source = a.points[[m.queryIdx for m in good]]
    target = b.points[[m.trainIdx for m in good]]
    transform, inliers = cv2.estimateAffinePartial2D(
        source, target, method=cv2.RANSAC, ransacReprojThreshold=1.0
    )
    if transform is None:
        return False
    count = int(inliers.sum())
    if count < MIN_INLIERS or count < MIN_INLIER_SHARE * len(good):
        return False
    return aligned_residual(a.thumbnail, b.thumbnail, transform) <= MAX_RESIDUAL


def aligned_residual(a: np.ndarray, b: np.ndarray, a_to_b: np.ndarray) -> float:
    """80th percentile of |a - (gain * b + offset)| per pixel (worst channel), with thumbnail `b`
    warped into `a`'s frame by the 2x3 map `a_to_b` (a's pixel -> b's pixel) and both blurred;
    infinite when they overlap too little."""
    height, width = a.shape[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    warped = cv2.warpAffine(b, a_to_b, (width, height), flags=flags)
    ones = np.full(b.shape[:2], 255, np.uint8)
    inside = cv2.warpAffine(ones, a_to_b, (width, height), flags=flags)
    mask = cv2.erode(inside, np.ones((3, 3), np.uint8)) == 255
    if mask.mean() < MIN_OVERLAP:
        return float("inf")
    x = cv2.GaussianBlur(a, (0, 0), 1.0)[mask].astype(np.float64)  # (n, 3)
    y = cv2.GaussianBlur(warped, (0, 0), 1.0)[mask].astype(np.float64)
    residual = np.zeros(len(x))
    for channel in range(3):
        design = np.stack([y[:, channel], np.ones(len(y))], axis=1)
        fit, *_ = np.linalg.lstsq(design, x[:, channel], rcond=None)
        residual = np.maximum(residual, np.abs(design @ fit - x[:, channel]))
    return float(np.percentile(residual, 80))


def duplicate_clusters(signatures: Sequence[Signature | None], sha256s: Sequence[str]) -> list[int]:
    """A cluster id per photo: equal bytes or verified near duplicates share one (transitively).

    `None` signatures (unreadable photos) are singletons, whatever their sha256.
    """
    parent = list(range(len(signatures)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_by_sha: dict[str, int] = {}
    for i, (signature, sha) in enumerate(zip(signatures, sha256s, strict=True)):
        if signature is not None:
            parent[find(i)] = find(first_by_sha.setdefault(sha, i))
    for i, j in candidate_pairs(signatures):
        if find(i) != find(j) and same_photo(signatures[i], signatures[j]):
            parent[find(i)] = find(j)
    roots = [find(i) for i in range(len(signatures))]
    renumber = {root: n for n, root in enumerate(dict.fromkeys(roots))}
    return [renumber[root] for root in roots]
