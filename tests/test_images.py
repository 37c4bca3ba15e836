"""The shared decoder on generated files: every failure has its code, every mode becomes RGB."""

import io

import numpy as np
import pytest
from PIL import Image

from data.images import ImageError, load_image


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def gradient(width=64, height=48) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)
    pixels = np.stack([np.tile(x, (height, 1))] * 3, axis=-1)
    pixels[: height // 2, :, 1] = 0  # top half differs from the bottom half
    return Image.fromarray(pixels, "RGB")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"this is a text file named photo.jpg\n", "not_an_image"),
        (encode(gradient(), "JPEG")[:300], "truncated"),
        (encode(gradient(), "ICO"), "unsupported_format"),
    ],
    ids=["zero-bytes", "text", "truncated-jpeg", "ico-format"],
)
def test_bad_files_raise_image_error_with_code(data, code):
    with pytest.raises(ImageError) as info:
        load_image(data)
    assert info.value.code == code
    assert info.value.message


def test_pixel_cap_is_an_error():
    with pytest.raises(ImageError) as info:
        load_image(encode(Image.new("RGB", (200, 100)), "PNG"), max_pixels=10_000)
    assert info.value.code == "too_many_pixels"


def test_facts_and_sha256(tmp_path):
    data = encode(gradient(), "PNG")
    path = tmp_path / "g.png"
    path.write_bytes(data)
    loaded = load_image(path)
    import hashlib

    assert loaded.facts.sha256 == hashlib.sha256(data).hexdigest()
    assert (loaded.facts.format, loaded.facts.original_size, loaded.facts.frames) == (
        "PNG",
        (64, 48),
        1,
    )
    assert loaded.image.mode == "RGB"


def test_exif_orientation_6_rotates():
    exif = Image.Exif()
    exif[0x0112] = 6
    loaded = load_image(encode(gradient(), "JPEG", exif=exif, quality=95))
    assert loaded.image.size == (48, 64)
    assert loaded.facts.orientation == 6
    pixels = np.asarray(loaded.image)
    # Orientation 6 = rotate 90 degrees clockwise: the green-free top half ends on the right.
    assert pixels[:, -5:, 1].mean() < 40 and pixels[:, :5, 1].mean() > 40


@pytest.mark.parametrize("mode", ["L", "1", "P", "RGBA", "LA", "CMYK", "I;16", "I", "F"])
def test_every_mode_becomes_rgb(mode):
    image = (
        gradient().convert("L").convert(mode)
        if mode in ("I;16", "I", "F")
        else gradient().convert(mode)
    )
    fmt = "TIFF" if mode in ("CMYK", "I", "F", "I;16") else "PNG"
    loaded = load_image(encode(image, fmt))
    assert loaded.image.mode == "RGB"
    assert loaded.image.size == (64, 48)
    assert loaded.facts.mode == image.mode


def test_transparent_pixels_are_composited_on_the_background():
    image = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    loaded = load_image(encode(image, "PNG"), background=(0, 0, 255))
    assert loaded.image.getpixel((4, 4)) == (0, 0, 255)


def test_reduced_jpeg_decoding_keeps_at_least_the_target_size():
    data = encode(gradient(800, 600), "JPEG")
    loaded = load_image(data, target_size=100)
    assert loaded.facts.original_size == (800, 600)
    assert loaded.image.size == (200, 150)


def test_multi_frame_gif_reads_frame_zero():
    frames = [Image.new("RGB", (10, 10), color) for color in ("red", "green", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert load_image(data).facts.frames == 3
