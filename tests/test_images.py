"""The shared decoder on files generated here: every failure has its code, every mode becomes RGB.

Run under `-W error` (module mark): no Pillow warning may escape.
"""

import hashlib
import io
import struct
import zlib

import numpy as np
import pillow_heif
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from wildlens.data.images import ERROR_CODES, ImageError, LoadedImage, load_image, to_rgb

pytestmark = [
    pytest.mark.filterwarnings("error"),
    pytest.mark.usefixtures("collected_garbage"),
]


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def gradient(width=64, height=48) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)
    pixels = np.stack([np.tile(x, (height, 1))] * 3, axis=-1)
    pixels[: height // 2, :, 1] = 0  # top half differs from the bottom half
    return Image.fromarray(pixels)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a size but holds (almost) no pixels: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"this is a text file named photo.jpg\n", "not_an_image"),
        (encode(gradient(), "JPEG")[:300], "truncated"),
        (encode(gradient(), "JPEG")[:-200], "truncated"),
        (encode(gradient(), "PNG")[:-30], "truncated"),
        (encode(gradient(), "ICO"), "unsupported_format"),
        (encode(gradient(), "PCX"), "unsupported_format"),
        (png_header_only(12_000, 10_000), "too_many_pixels"),  # 120 MP: Pillow only warns
        (png_header_only(30_000, 30_000), "too_many_pixels"),  # 900 MP: Pillow raises
    ],
    ids=[
        "zero-bytes",
        "text",
        "jpeg-cut-in-header",
        "jpeg-cut-in-data",
        "png-cut",
        "ico",
        "pcx",
        "png-120mp",
        "png-900mp",
    ],
)
def test_bad_files_raise_image_error_with_code(tmp_path, data, code):
    path = tmp_path / "photo.jpg"  # every one is named .jpg: the name proves nothing
    path.write_bytes(data)
    with pytest.raises(ImageError) as info:
        load_image(path)
    assert info.value.code == code
    assert info.value.message
    assert info.value.sha256 == hashlib.sha256(data).hexdigest()


def test_pixel_cap_is_ours_not_pillows():
    data = encode(Image.new("RGB", (200, 100)), "PNG")
    with pytest.raises(ImageError) as info:
        load_image(data, max_pixels=10_000)
    assert info.value.code == "too_many_pixels"
    assert load_image(data, max_pixels=20_000).image.size == (200, 100)


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(ImageError) as info:
        load_image(tmp_path / "nope.jpg")
    assert info.value.code == "unreadable"


def test_sources_path_bytes_and_file_object_agree(tmp_path):
    data = encode(gradient(), "PNG")
    path = tmp_path / "g.png"
    path.write_bytes(data)
    results = [load_image(path), load_image(data), load_image(io.BytesIO(data))]
    assert len({r.facts for r in results}) == 1
    facts = results[0].facts
    assert facts.sha256 == hashlib.sha256(data).hexdigest()
    assert (facts.format, facts.original_size, facts.frames, facts.num_bytes) == (
        "PNG",
        (64, 48),
        1,
        len(data),
    )


def test_exif_orientation_6_rotates_size_and_pixels():
    exif = Image.Exif()
    exif[0x0112] = 6
    loaded = load_image(encode(gradient(), "JPEG", exif=exif, quality=95))
    assert loaded.image.size == (48, 64)
    assert loaded.facts.original_size == (48, 64)
    assert loaded.facts.orientation == 6
    pixels = np.asarray(loaded.image)
    # Orientation 6 = rotate 90 degrees clockwise: the green-free top half ends on the right.
    assert pixels[:, -5:, 1].mean() < 40 and pixels[:, :5, 1].mean() > 40


def premultiplied_tiff(image: Image.Image) -> bytes:
    """An RGBA TIFF re-tagged as associated (premultiplied) alpha."""
    data = encode(image, "TIFF")
    extra_samples_unassociated = struct.pack("<HHII", 338, 3, 1, 2)
    assert data.count(extra_samples_unassociated) == 1
    return data.replace(extra_samples_unassociated, struct.pack("<HHII", 338, 3, 1, 1))


def test_premultiplied_alpha():
    # Pillow reads associated-alpha TIFFs as RGBA (un-premultiplied on read) ...
    half = Image.new("RGBA", (8, 8), (100, 50, 26, 128))
    loaded = load_image(premultiplied_tiff(half), background=(0, 0, 0))
    assert loaded.image.mode == "RGB"
    # ... the stored premultiplied samples (100, 50, 26) at alpha 128 are a colour twice as
    # bright; composited back onto black, the stored values come back (within rounding).
    assert np.abs(np.array(loaded.image.getpixel((1, 1))) - (100, 50, 26)).max() <= 2
    # ... and an RGBa image in memory converts the same way as its RGBA twin.
    premultiplied = half.convert("RGBa")
    assert to_rgb(premultiplied, (0, 0, 0)).getpixel((1, 1)) == to_rgb(half, (0, 0, 0)).getpixel(
        (1, 1)
    )


def _mode_image(mode: str) -> Image.Image:
    base = gradient()
    if mode == "I;16":
        return Image.fromarray(np.asarray(base.convert("L"), np.uint16) * 257)
    if mode == "F":
        return Image.fromarray(np.asarray(base.convert("L"), np.float32) / 255.0)
    return base.convert(mode)


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        ("L", "PNG"),
        ("1", "PNG"),
        ("P", "PNG"),
        ("RGBA", "PNG"),
        ("LA", "PNG"),
        ("CMYK", "JPEG"),
        ("CMYK", "TIFF"),
        ("I;16", "PNG"),
        ("I;16", "TIFF"),
        ("I", "TIFF"),
        ("F", "TIFF"),
        ("RGB", "WEBP"),
        ("RGB", "BMP"),
        ("RGB", "TIFF"),
    ],
)
def test_every_mode_becomes_8_bit_rgb(mode, fmt):
    image = _mode_image(mode)
    loaded = load_image(encode(image, fmt))
    assert loaded.image.mode == "RGB"
    assert loaded.image.size == (64, 48)
    assert loaded.facts.format == fmt
    pixels = np.asarray(loaded.image, np.int16)
    if mode not in ("1", "P"):  # the gradient survives: dark on the left, bright on the right
        assert pixels[:, :4].mean() < 60 and pixels[:, -4:].mean() > 150


def test_in_memory_only_modes_convert_too():
    sources = {"PA": "RGBA", "La": "LA", "YCbCr": "RGB", "HSV": "RGB"}
    for mode, via in sources.items():
        image = gradient().convert(via).convert(mode)
        assert image.mode == mode
        assert to_rgb(image).mode == "RGB"


def test_16_bit_and_float_scale_to_the_full_8_bit_range():
    sixteen = Image.fromarray(np.array([[0, 65535]], np.uint16))
    assert np.asarray(load_image(encode(sixteen, "PNG")).image)[0, :, 0].tolist() == [0, 255]
    floats = Image.fromarray(np.array([[0.0, 1.0]], np.float32))
    assert np.asarray(load_image(encode(floats, "TIFF")).image)[0, :, 0].tolist() == [0, 255]


def test_transparency_is_composited_on_the_background():
    clear = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    assert load_image(encode(clear, "PNG"), background=(0, 0, 255)).image.getpixel((4, 4)) == (
        0,
        0,
        255,
    )
    assert load_image(encode(clear, "PNG")).image.getpixel((4, 4)) == (255, 255, 255)
    palette = Image.new("P", (8, 8), 0)
    palette.putpalette([255, 0, 0] + [0, 255, 0] * 255)
    palette.info["transparency"] = 0
    assert load_image(encode(palette, "PNG", transparency=0)).image.getpixel((1, 1)) == (
        255,
        255,
        255,
    )
    half = Image.new("LA", (8, 8), (0, 128))
    assert load_image(encode(half, "PNG")).image.getpixel((1, 1)) == (127, 127, 127)


def test_reduced_jpeg_decoding_keeps_at_least_the_target_size():
    data = encode(gradient(800, 600), "JPEG")
    loaded = load_image(data, target_size=100)
    assert loaded.facts.original_size == (800, 600)
    assert loaded.image.size == (200, 150) == loaded.facts.decoded_size
    assert load_image(data, target_size=600).image.size == (800, 600)


def test_multi_frame_gif_reads_frame_zero_and_counts_frames():
    frames = [Image.new("RGB", (10, 10), color) for color in ("red", "lime", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    loaded = load_image(data)
    assert loaded.facts.frames == 3
    assert loaded.image.getpixel((5, 5)) == (255, 0, 0)


def test_heic_from_an_iphone():
    heif = pillow_heif.from_pillow(gradient())
    buffer = io.BytesIO()
    heif.save(buffer, quality=90)
    loaded = load_image(buffer.getvalue())
    assert loaded.facts.format == "HEIF"
    assert loaded.image.size == (64, 48)
    assert np.asarray(loaded.image)[:, -4:].mean() > 150


VALID = [encode(gradient(32, 24), fmt) for fmt in ("JPEG", "PNG", "GIF", "TIFF", "WEBP", "BMP")]


def _check(data: bytes) -> None:
    try:
        result = load_image(data, target_size=16)
    except ImageError as error:
        assert error.code in ERROR_CODES and error.code != "unreadable"  # bytes were given
        return
    assert isinstance(result, LoadedImage) and result.image.mode == "RGB"


# No per-example deadline (a loaded CI machine makes it flaky); the test's timeout catches hangs.
@pytest.mark.timeout(300)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes_never_escape_as_other_errors(data):
    _check(data)


@pytest.mark.timeout(300)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(VALID),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=12),
    st.integers(0, 10_000),
)
def test_mutated_images_never_escape_as_other_errors(original, flips, cut):
    data = bytearray(original)
    for position, value in flips:
        data[position % len(data)] = value
    _check(bytes(data[: max(1, len(data) - cut % len(data))]))
