"""Exact and near-duplicate photos: resized, recompressed or slightly cropped copies.

Two stages, because a perceptual hash alone matches different objects of the same silhouette
(two pairs of trousers on the same floor):
1. candidates: 64-bit pHashes of the photo and of nine 90% crops (centre, corners, sides), so
   a copy cropped by up to ~10% still lands within a few bits of one of them;
2. verification: the two photos are aligned, then their blurred 64-px thumbnails must agree
   pixel by pixel over the object.
   - Alignment: ORB keypoints matched between the photos must agree on one similarity transform
     (RANSAC). Photos too plain for keypoints, or whose keypoints do not agree, are aligned by
     their foregrounds instead: same centroid, scale from their areas. Either way the scale must
     be 0.8-1.25: a copy cropped by 10-20% is near 1 once both thumbnails share a longer side,
     and a few clustered keypoints can give a collapsed map that makes any two photos alike.
   - Comparison: `b` is mapped onto `a` by a per-channel gain (0.5-2; near 0 it would fit any
     flat photo) and offset for brightness and contrast edits, fitted on the whole overlap; the
     80th percentile of the difference is then taken over the foreground only: pixels that
     differ from their photo's backdrop (a plane per channel fitted to the outermost pixels) in
     either photo. Different items photographed on one table share the table, its keypoints
     and most of the frame, but not the pixels of the item; over the whole frame, a small
     object on a plain backdrop (museum photos) barely moved that percentile, and different
     ivory pins, seals and combs were joined. Two photos with almost no foreground between them
     (under 0.3% of the thumbnail) are never verified: only equal bytes join them.

Measured by bench/near_duplicates.py on the clothing-small photos and on synthetic photos of
distinct small objects on three shared backdrops: false matches among distinct photos and the
share of resized, recompressed and cropped copies verified (see docs/benchmarks.md, "Near-duplicate
detection").

    signature = image_signature(rgb)            # per photo, picklable
    clusters = duplicate_clusters(signatures, sha256s)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations

import cv2
import imagehash
import numpy as np
from PIL import Image

CROP = 0.9  # side fraction kept by the shifted crops
CANDIDATE_DISTANCE = 10  # bits of 64
SIGNATURE_SIDE = 256  # pixels, longer side, for keypoints
THUMBNAIL_SIDE = 64  # pixels, longer side, for the pixel comparison
# Few keypoints suffice: the aligned-pixel comparison below is what decides.
MIN_KEYPOINTS = 8
MIN_INLIERS = 6
MIN_INLIER_SHARE = 0.3
MIN_OVERLAP = 0.5  # share of the first thumbnail covered by the aligned second one
# Thumbnails share a longer side, so a copy cropped by up to 10-20% maps onto its original at a
# scale near 1; RANSAC on a few clustered keypoints can return a collapsed map (scale ~0) that
# makes any two photos on one backdrop look alike.
MIN_SCALE, MAX_SCALE = 0.8, 1.25
# A contrast edit scales a channel by a modest gain; a gain near 0 would explain a flat photo by
# any other one (its object fitted away), so a fit outside these bounds is no copy.
MIN_GAIN, MAX_GAIN = 0.5, 2.0
FOREGROUND = 16.0  # difference from the fitted backdrop (0-255, blurred) that makes a pixel object
MIN_FOREGROUND = 0.003  # share of the thumbnail (9 pixels of 64 x 48): less is too little to judge
# 80th percentile of the aligned, blurred pixel difference over the foreground (0-255); what
# copies and different objects measure is in the module docstring.
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

    # Computed once per photo when first needed; not fields, so not stored with the signature.
    @cached_property
    def foreground(self) -> np.ndarray:
        """`foreground_mask` of the thumbnail."""
        return foreground_mask(self.thumbnail)

    @cached_property
    def placement(self) -> tuple[float, float, int] | None:
        """Centroid (x, y) and area of the foreground, in thumbnail pixels; None when it is too
        small to place (under MIN_FOREGROUND of the thumbnail)."""
        y, x = np.nonzero(self.foreground)
        if len(x) < MIN_FOREGROUND * self.foreground.size:
            return None
        return float(x.mean()), float(y.mean()), len(x)


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
    """Pairs (i < j) whose full-photo hash is within CANDIDATE_DISTANCE bits of the other's full
    or cropped hash: exactly the pairs that comparing every photo with every other gives, found
    through an index (`_near_hashes`), far faster than comparing them all at archive sizes (see
    docs/benchmarks.md, "Candidate search at archive scale").

    Each photo's full hash is looked up among all hashes of all photos; a crop of i near the full
    hash of j is the same as j's full hash near a crop of i, so one search covers both."""
    index = np.array([i for i, s in enumerate(signatures) if s is not None], dtype=np.int64)
    if len(index) < 2:
        return []
    table = np.array([signatures[i].hashes for i in index], dtype=np.uint64)  # (n, 10)
    rows, found = _near_hashes(table[:, 0], table.ravel(), CANDIDATE_DISTANCE)
    cols = found // table.shape[1]
    other = rows != cols
    i, j = index[rows[other]], index[cols[other]]
    codes = np.unique(np.minimum(i, j) * len(signatures) + np.maximum(i, j))
    first, second = np.divmod(codes, len(signatures))
    return list(zip(first.tolist(), second.tolist(), strict=True))


# The exact Hamming search behind `candidate_pairs`: multi-index hashing (Norouzi, Punjani and
# Fleet, "Fast exact search in Hamming space with multi-index hashing", TPAMI 2014), in numpy.
# faiss-cpu 1.15 has it (IndexBinaryMultiHash) but was slower than this (it gathers each query's
# candidates in a hash set), and its IndexBinaryFlat compares every pair, growing with the square
# of the count (see docs/benchmarks.md, "Candidate search at archive scale").
KEY_BITS = 63  # bits 0-62 make the keys; bit 63, the pHash's DCT constant term, is always set
PROBES_PER_STEP = 1 << 21  # (query, key) lookups at once: memory per step, tens of MB
CANDIDATES_PER_STEP = 1 << 21  # hashes compared at once: ~100 MB


def _key_runs(count: int) -> list[tuple[int, int]]:
    """(first bit, width) of `count` runs that split bits 0..KEY_BITS-1 as evenly as possible."""
    widths = [KEY_BITS // count + (k < KEY_BITS % count) for k in range(count)]
    return [(sum(widths[:k]), width) for k, width in enumerate(widths)]


def _flips(width: int, radius: int) -> np.ndarray:
    """Every `width`-bit mask with at most `radius` bits set, as int64."""
    masks = [0]
    for bits in range(1, radius + 1):
        masks += [sum(1 << b for b in chosen) for chosen in combinations(range(width), bits)]
    return np.array(masks, dtype=np.int64)


def _near_hashes(
    queries: np.ndarray, hashes: np.ndarray, radius: int, runs: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Every (query row, hash row) whose uint64 values differ in at most `radius` bits, exactly,
    as two int64 arrays sorted by query row.

    The key bits are cut into `runs` runs (by default about log2(len(hashes)) bits each: 3 runs
    of 21 bits for a million hashes), and run t is searched within r_t bits, with the r_t + 1
    summing to radius + 1. Two hashes within `radius` bits differ in at most r_t bits of some
    run t (else they would differ in at least radius + 1), so every such pair has the hash among
    those whose run t is one of the query's run t with at most r_t bits flipped; those few
    candidates are then compared on all 64 bits. Per run, the hashes are sorted by their key
    and a table of 2^width counts locates each key's hashes. Each pair is returned once."""
    if not len(queries) or not len(hashes):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if runs is None:
        runs = round(KEY_BITS / np.log2(max(len(hashes), 2)))
    # 3 runs at least (2^32-entry tables would not fit); runs beyond radius + 1 get r_t = -1 and
    # are not searched.
    runs = min(max(runs, 3), KEY_BITS)
    rows, found = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for t, (shift, width) in enumerate(_key_runs(runs)):
        run_radius = (radius + 1) // runs - (t >= (radius + 1) % runs)
        if run_radius < 0:
            continue
        key_mask = np.uint64((1 << width) - 1)
        keys = ((hashes >> np.uint64(shift)) & key_mask).astype(np.int64)
        by_key = np.argsort(keys, kind="stable")
        sorted_hashes = hashes[by_key]
        counts = np.bincount(keys, minlength=1 << width)
        starts = np.cumsum(counts) - counts
        occupied = counts > 0  # an eighth of the counts' memory: the first lookup mostly cached
        # Queries in key order, so that lookups of nearby keys touch nearby memory.
        query_keys = ((queries >> np.uint64(shift)) & key_mask).astype(np.int64)
        by_query = np.argsort(query_keys, kind="stable")
        query_keys, query_hashes = query_keys[by_query], queries[by_query]
        flips = _flips(width, run_radius)
        step = max(1, PROBES_PER_STEP // len(queries))
        for first in range(0, len(flips), step):
            probes = (flips[first : first + step, None] ^ query_keys[None, :]).ravel()
            hit = np.flatnonzero(occupied[probes])
            owner = hit % len(queries)  # position in key order
            size = counts[probes[hit]]
            start = starts[probes[hit]]
            ends = np.cumsum(size)
            # Compare candidates in slices of about CANDIDATES_PER_STEP, whole buckets each.
            lo = 0
            while lo < len(hit):
                done = ends[lo - 1] if lo else 0
                hi = max(lo + 1, int(np.searchsorted(ends, done + CANDIDATES_PER_STEP, "right")))
                n = size[lo:hi]
                offsets = ends[lo:hi] - n - done  # first candidate of each bucket in the slice
                positions = np.repeat(start[lo:hi] - offsets, n) + np.arange(ends[hi - 1] - done)
                close = np.bitwise_count(
                    np.repeat(query_hashes[owner[lo:hi]], n) ^ sorted_hashes[positions]
                )
                match = np.flatnonzero(close <= radius)
                bucket = np.searchsorted(ends[lo:hi] - done, match, "right")
                rows.append(by_query[owner[lo:hi][bucket]])
                found.append(by_key[positions[match]])
                lo = hi
    # A pair close in several runs was found once per run.
    codes = np.unique(np.concatenate(rows) * len(hashes) + np.concatenate(found))
    return np.divmod(codes, len(hashes))


def _keypoint_transform(a: Signature, b: Signature) -> np.ndarray | None:
    """The similarity map (a's pixel -> b's pixel) that most matched ORB keypoints agree on;
    None when either photo has too few keypoints or too few matches agree."""
    if len(a.descriptors) < MIN_KEYPOINTS or len(b.descriptors) < MIN_KEYPOINTS:
        return None
    matches = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(a.descriptors, b.descriptors, k=2)
    good = [m[0] for m in matches if len(m) == 2 and m[0].distance < 0.75 * m[1].distance]
    if len(good) < MIN_INLIERS:
        return None
    source = a.points[[m.queryIdx for m in good]]
    target = b.points[[m.trainIdx for m in good]]
    transform, inliers = cv2.estimateAffinePartial2D(
        source, target, method=cv2.RANSAC, ransacReprojThreshold=1.0
    )
    if transform is None:
        return None
    count = int(inliers.sum())
    if count < MIN_INLIERS or count < MIN_INLIER_SHARE * len(good):
        return None
    return transform


def same_photo(a: Signature, b: Signature) -> bool:
    """Do two signatures show the same pixels (up to scale, crop, small rotation, compression)?"""
    transform = _keypoint_transform(a, b)
    if transform is None:  # too plain for keypoints, or too few agree
        transform = _foreground_transform(a, b)
        if transform is None:
            return False
    if not MIN_SCALE <= np.sqrt(abs(np.linalg.det(transform[:, :2]))) <= MAX_SCALE:
        return False
    residual = aligned_residual(a.thumbnail, b.thumbnail, transform, (a.foreground, b.foreground))
    return residual <= MAX_RESIDUAL


def foreground_mask(thumbnail: np.ndarray) -> np.ndarray:
    """(h, w) bool: where the blurred thumbnail differs from its backdrop by more than FOREGROUND
    in some channel. The backdrop is a plane per channel (light falling off across a sweep)
    fitted to the outermost pixels, refitted to the 60% of them it fits best so that an object
    touching the edge does not bend it."""
    blurred = cv2.GaussianBlur(thumbnail, (0, 0), 1.0).astype(np.float64)
    height, width = blurred.shape[:2]
    y, x = np.mgrid[0:height, 0:width]
    design = np.stack([np.ones(x.size), x.ravel() / width, y.ravel() / height], axis=1)
    edge = np.ones((height, width), bool)
    edge[1:-1, 1:-1] = False
    rows, values = design[edge.ravel()], blurred[edge]
    keep = np.ones(len(values), bool)
    for _ in range(2):
        plane, *_ = np.linalg.lstsq(rows[keep], values[keep], rcond=None)
        error = np.abs(rows @ plane - values).max(axis=1)
        keep = error <= np.percentile(error, 60)
    backdrop = (design @ plane).reshape(height, width, 3)
    return np.abs(blurred - backdrop).max(axis=2) > FOREGROUND


def _foreground_transform(a: Signature, b: Signature) -> np.ndarray | None:
    """The 2x3 map (a's pixel -> b's pixel) that lays a's foreground on b's: same centroid,
    scale from their areas, no rotation; None when either is too small to place."""
    if a.placement is None or b.placement is None:
        return None
    (xa, ya, na), (xb, yb, nb) = a.placement, b.placement
    scale = np.sqrt(nb / na)
    return np.array([[scale, 0, xb - scale * xa], [0, scale, yb - scale * ya]])


def aligned_residual(
    a: np.ndarray,
    b: np.ndarray,
    a_to_b: np.ndarray,
    foregrounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> float:
    """80th percentile of |a - (gain * b + offset)| per pixel (worst channel) over the foreground,
    with thumbnail `b` warped into `a`'s frame by the 2x3 map `a_to_b` (a's pixel -> b's pixel)
    and both blurred; infinite when they overlap too little or show too little foreground.
    `foregrounds`: the two thumbnails' `foreground_mask`s, if already computed.

    The gain and offset (per channel, for brightness and contrast edits) are fitted on the whole
    overlap, so the shared backdrop holds them; the residual is measured only where either photo
    differs from its backdrop, so that a small object on a plain backdrop decides it, not the
    backdrop around it."""
    a_mask, b_mask = foregrounds or (foreground_mask(a), foreground_mask(b))
    height, width = a.shape[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    warped = cv2.warpAffine(b, a_to_b, (width, height), flags=flags)
    ones = np.full(b.shape[:2], 255, np.uint8)
    inside = cv2.warpAffine(ones, a_to_b, (width, height), flags=flags)
    mask = cv2.erode(inside, np.ones((3, 3), np.uint8)) == 255
    if mask.mean() < MIN_OVERLAP:
        return float("inf")
    b_object = cv2.warpAffine(b_mask.astype(np.uint8) * 255, a_to_b, (width, height), flags=flags)
    objects = (a_mask | (b_object > 127)) & mask
    if objects.sum() < MIN_FOREGROUND * mask.size:
        return float("inf")
    # Least-squares line x ~ gain * y + offset per channel over the overlap (a flat channel keeps
    # gain 1); means over the mask by cv2.mean, on whole (h, w, 3) float32 arrays, for speed.
    inside = mask.astype(np.uint8)
    x = cv2.GaussianBlur(a, (0, 0), 1.0).astype(np.float32)
    y = cv2.GaussianBlur(warped, (0, 0), 1.0).astype(np.float32)
    x -= np.float32(cv2.mean(x, inside)[:3])
    y -= np.float32(cv2.mean(y, inside)[:3])
    variance = np.array(cv2.mean(y * y, inside)[:3])
    covariance = np.array(cv2.mean(x * y, inside)[:3])
    gain = np.where(variance > 1e-6, covariance / np.maximum(variance, 1e-6), 1.0)
    if not ((gain >= MIN_GAIN) & (gain <= MAX_GAIN)).all():
        return float("inf")
    residual = np.abs(x - gain.astype(np.float32) * y).max(axis=2)
    return float(np.percentile(residual[objects], 80))


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
