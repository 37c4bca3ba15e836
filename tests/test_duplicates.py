"""Near duplicates of small objects photographed on one backdrop (museum photos): different
objects are not joined, edited copies are still found. The backdrop's grain gives every pair of
photos shared keypoints, as one table or sheet does in practice; the objects cover 1-3% of the
frame, so over the whole frame the backdrop would decide."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from wildlens.data.duplicates import duplicate_clusters, image_signature, same_photo

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
