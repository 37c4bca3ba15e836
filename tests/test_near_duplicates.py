"""Near duplicates of small objects photographed on one backdrop (museum photos): different
objects are not joined, edited copies are still found. The backdrop's grain gives every pair of
photos shared keypoints, as one table or sheet does in practice; the objects cover 1-3% of the
frame, so over the whole frame the backdrop would decide.

The candidate search (an index, `_near_hashes`) must give exactly the pairs of the exhaustive
search it replaced, kept here as the reference."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from wildlens.data import near_duplicates as duplicates
from wildlens.data.near_duplicates import (
    CANDIDATE_DISTANCE,
    Signature,
    _near_hashes,
    candidate_pairs,
    duplicate_clusters,
    image_signature,
    same_photo,
)

WIDTH, HEIGHT = 320, 240
IVORY = (232, 220, 190)


def _comb(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((128, 100, 192, 112), fill=255)
    for x in range(128, 192, 8):
        draw.rectangle((x, 112, x + 4, 140), fill=255)


def _seal(draw: ImageDraw.ImageDraw) -> None:
    draw.rounded_rectangle((136, 118, 184, 146), 4, fill=255)
    draw.ellipse((148, 94, 172, 120), fill=255)


def _pin(draw: ImageDraw.ImageDraw) -> None:
    draw.polygon([(110, 150), (214, 96), (217, 101)], fill=255)
    draw.ellipse((102, 142, 120, 160), fill=255)


def backdrop() -> np.ndarray:
    """The same sheet in every photo: light grey, lit from the top, with a paper grain."""
    rng = np.random.default_rng(123)
    grain = Image.fromarray(rng.normal(128, 60, (HEIGHT, WIDTH)).clip(0, 255).astype(np.uint8))
    grain = np.asarray(grain.filter(ImageFilter.GaussianBlur(1)), np.float32) - 128
    y = np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None]
    return (205 * (1.05 - 0.25 * y) + grain)[..., None].repeat(3, axis=2)


def photo(shape, seed: int) -> Image.Image:
    """One small ivory object with a soft shadow on the backdrop, with sensor noise; a decoded
    JPEG."""
    mask = Image.new("L", (WIDTH, HEIGHT), 0)
    shape(ImageDraw.Draw(mask))
    alpha = np.asarray(mask, np.float32)[..., None] / 255
    shadow = np.asarray(mask.filter(ImageFilter.GaussianBlur(5)), np.float32) / 255
    shadow = np.roll(shadow, (4, 3), axis=(0, 1))[..., None]
    image = backdrop() * (1 - 0.3 * shadow) * (1 - alpha) + np.float32(IVORY) * alpha
    image += np.random.default_rng(seed).normal(0, 2, image.shape)
    return decoded(Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)), 90)


def decoded(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def crop(image: Image.Image, share: float) -> Image.Image:
    w, h = image.size
    return image.crop((int(w * share), int(h * share), int(w * (1 - share)), int(h * (1 - share))))


EDITS = {
    "half size, quality 60": lambda im: decoded(im.resize((im.width // 2, im.height // 2)), 60),
    "5% crop each side": lambda im: decoded(crop(im, 0.05), 85),
}


def test_different_small_objects_on_one_backdrop_are_not_duplicates():
    photos = [photo(shape, seed) for seed, shape in enumerate((_comb, _seal, _pin))]
    signatures = [image_signature(p) for p in photos]
    for i, a in enumerate(signatures):
        for b in signatures[i + 1 :]:
            assert not same_photo(a, b)
            assert not same_photo(b, a)
    clusters = duplicate_clusters(signatures, ["comb", "seal", "pin"])
    assert len(set(clusters)) == len(photos)


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("shape", [_comb, _seal, _pin], ids=["comb", "seal", "pin"])
def test_edited_copies_of_a_small_object_photo_are_found(shape, edit):
    original = photo(shape, seed=0)
    copy = EDITS[edit](original)
    a, b = image_signature(original), image_signature(copy)
    assert same_photo(a, b)
    assert same_photo(b, a)
    other = image_signature(photo(_seal if shape is _comb else _comb, seed=1))
    assert duplicate_clusters([a, b, other], ["original", "copy", "other"]) == [0, 0, 1]


# The candidate search against the exhaustive one it replaced.


def exhaustive_pairs(signatures):
    """The exhaustive candidate search (every full hash against every hash, every crop hash
    against every full hash), as `candidate_pairs` was before its index."""
    index = np.array([i for i, s in enumerate(signatures) if s is not None], dtype=np.int64)
    if len(index) < 2:
        return []
    table = np.array([signatures[i].hashes for i in index], dtype=np.uint64)
    full, crops = table[:, 0], table[:, 1:]
    near = (np.bitwise_count(full[:, None, None] ^ table[None]) <= CANDIDATE_DISTANCE).any(2)
    near |= (np.bitwise_count(crops[:, :, None] ^ full[None, None]) <= CANDIDATE_DISTANCE).any(1)
    rows, cols = np.nonzero(near)
    pairs = {(min(i, j), max(i, j)) for i, j in zip(index[rows], index[cols], strict=True)}
    return sorted((int(i), int(j)) for i, j in pairs if i != j)


def flip(value: int, bits: int, rng: np.random.Generator) -> int:
    """`value` with `bits` of its 64 bits flipped, chosen at random (the top bit included)."""
    for bit in rng.choice(64, size=bits, replace=False):
        value ^= 1 << int(bit)
    return value


def signature_of(hashes) -> Signature:
    empty = np.zeros((0, 2), np.float32)
    return Signature(tuple(int(h) for h in hashes), empty, np.zeros((0, 32), np.uint8), None)


def planted_signatures(seed: int = 0) -> tuple[list[Signature | None], dict[str, tuple]]:
    """200 photos of ten random hashes, with near pairs planted: through the full hashes at 0-12
    bits, through a crop only (either way round) at 10 and 11 bits; some unreadable photos."""
    rng = np.random.default_rng(seed)
    table = [[int(h) for h in rng.integers(0, 2**64, size=10, dtype=np.uint64)] for _ in range(200)]
    planted = {}
    for k, bits in enumerate((0, 3, 9, 10, 11, 12)):
        i, j = 2 * k, 2 * k + 1
        table[j][0] = flip(table[i][0], bits, rng)
        planted[f"full {bits}"] = (i, j)
    for k, bits in enumerate((10, 11)):
        i, j = 20 + 2 * k, 21 + 2 * k
        table[j][5] = flip(table[i][0], bits, rng)  # j's crop near i's full hash
        planted[f"crop of the second {bits}"] = (i, j)
        i, j = 30 + 2 * k, 31 + 2 * k
        table[i][9] = flip(table[j][0], bits, rng)  # i's crop near j's full hash
        planted[f"crop of the first {bits}"] = (i, j)
    i, j = 40, 41  # two crops alike: not a candidate, only full against crop counts
    table[j][3] = flip(table[i][7], 2, rng)
    planted["crop against crop"] = (i, j)
    table[51][0] = table[50][0]
    planted["unreadable"] = (50, 51)
    signatures = [signature_of(row) for row in table]
    for i in (50, 60, 199):
        signatures[i] = None
    return signatures, planted


def test_candidate_search_equals_the_exhaustive_search_on_planted_pairs():
    signatures, planted = planted_signatures()
    pairs = candidate_pairs(signatures)
    assert pairs == exhaustive_pairs(signatures)
    found = {name for name, pair in planted.items() if pair in set(pairs)}
    assert found == {
        "full 0",
        "full 3",
        "full 9",
        "full 10",
        "crop of the second 10",
        "crop of the first 10",
    }


@pytest.mark.parametrize("seed", range(5))
def test_candidate_search_equals_the_exhaustive_search_on_clustered_hashes(seed, monkeypatch):
    """Hashes a few bits from a handful of sources, as real pHashes of alike photos crowd:
    large buckets, many true pairs; small steps, so that every slicing path runs."""
    monkeypatch.setattr(duplicates, "PROBES_PER_STEP", 1000)
    monkeypatch.setattr(duplicates, "CANDIDATES_PER_STEP", 300)
    rng = np.random.default_rng(seed)
    sources = rng.integers(0, 2**64, size=(4, 10), dtype=np.uint64)
    signatures = [
        signature_of(flip(int(h), int(rng.integers(0, 9)), rng) for h in sources[i % 4])
        for i in range(150)
    ]
    pairs = candidate_pairs(signatures)
    assert pairs == exhaustive_pairs(signatures)
    assert len(pairs) > 500


@pytest.mark.parametrize("radius", [0, 1, 5, 10, 11])
@pytest.mark.parametrize("runs", [None, 3, 4, 6, 11, 12])
def test_near_hashes_is_exact_for_any_number_of_runs(runs, radius):
    rng = np.random.default_rng(runs or 0)
    hashes = rng.integers(0, 2**64, size=400, dtype=np.uint64)
    queries = np.array(
        [flip(int(h), int(rng.integers(0, 14)), rng) for h in hashes[:150]], dtype=np.uint64
    )
    rows, found = _near_hashes(queries, hashes, radius, runs)
    distance = np.bitwise_count(queries[:, None] ^ hashes[None, :])
    assert np.array_equal(np.stack([rows, found]), np.stack(np.nonzero(distance <= radius)))
