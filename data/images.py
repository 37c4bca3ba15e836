"""The one image decoder: every photo (training, batch inference, the app) goes through it.

    loaded = load_image("seizure/IMG_0042.HEIC", target_size=256)
    loaded.image   # RGB PIL image, EXIF orientation applied
    loaded.facts   # sha256 of the bytes, format, original size, frame count, ...

Bad input raises `ImageError` with a stable `code` (see `ERROR_CODES`) and a message a person can
act on. Nothing process-global is changed (no `LOAD_TRUNCATED_IMAGES`, no `MAX_IMAGE_PIXELS`).
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

# Registers the HEIF plugin with Pillow (idempotent); format name "HEIF".
pillow_heif.register_heif_opener()

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF", "HEIF")
# fmt: off
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic",
                    ".heif")
# fmt: on
# Below Pillow's own bomb warning (89.5 MP), above any phone's default output (12-50 MP).
DEFAULT_MAX_PIXELS = 80_000_000
DEFAULT_BACKGROUND = (255, 255, 255)
ERROR_CODES = (
    "empty",
    "not_an_image",
    "unsupported_format",
    "too_many_pixels",
    "truncated",
    "corrupt",
    "unreadable",
)

# What Pillow's parsers raise on hostile bytes; all mean "this file is damaged". Warning is here
# for runs with warnings as errors (-W error), where Pillow's parser warnings arrive raised.
_PARSER_ERRORS = (
    Warning,
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    EOFError,
    IndexError,
    KeyError,
    struct.error,
    ZeroDivisionError,
    OverflowError,
    RuntimeError,
)


class ImageError(Exception):
    """A photo that cannot be used; `code` is stable (ERROR_CODES), `message` is for people."""

    def __init__(self, code: str, message: str, sha256: str = ""):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.sha256 = sha256  # of the bytes, when they could be read


@dataclass(frozen=True)
class ImageFacts:
    sha256: str
    num_bytes: int
    format: str
    mode: str  # the mode as stored, before conversion to RGB
    original_size: tuple[int, int]  # (width, height) after EXIF orientation
    decoded_size: tuple[int, int]  # smaller than original_size when reduced decoding was used
    frames: int
    orientation: int  # EXIF orientation tag as stored (1 = upright)


@dataclass(frozen=True)
class LoadedImage:
    image: Image.Image
    facts: ImageFacts


def read_bytes(source: str | os.PathLike | bytes | BinaryIO) -> bytes:
    """The raw bytes of a path, a bytes object or a binary file object."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        try:
            return Path(source).read_bytes()
        except OSError as error:
            raise ImageError("unreadable", f"cannot read {source}: {error.strerror}") from error
    return source.read()


def load_image(
    source: str | os.PathLike | bytes | BinaryIO,
    *,
    target_size: int | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    background: tuple[int, int, int] = DEFAULT_BACKGROUND,
) -> LoadedImage:
    """Decode a photo safely into RGB.

    Args:
        source: a path, the file's bytes, or a binary file object.
        target_size: if given, a JPEG may be decoded at a reduced scale (draft mode) whose width
            and height both stay at or above this many pixels.
        max_pixels: width x height above which the image is refused (`too_many_pixels`).
        background: colour that transparent pixels are composited on.
    Returns:
        The RGB image and its facts.
    Raises:
        ImageError: with a code from ERROR_CODES.
    """
    data = read_bytes(source)
    digest = hashlib.sha256(data).hexdigest()
    try:
        return _decode(data, digest, target_size, max_pixels, background)
    except ImageError as error:
        error.sha256 = digest
        raise


def _decode(
    data: bytes,
    digest: str,
    target_size: int | None,
    max_pixels: int,
    background: tuple[int, int, int],
) -> LoadedImage:
    if not data:
        raise ImageError("empty", "the file is empty (0 bytes)")
    image = _open(data, max_pixels)
    try:
        stored_mode, stored_format = image.mode, image.format or "unknown"
        frames = int(getattr(image, "n_frames", 1) or 1)
        orientation = _orientation(image)
        width, height = image.size
        if orientation in (5, 6, 7, 8):
            width, height = height, width
        if target_size and image.format == "JPEG":
            image.draft("RGB", (target_size, target_size))
        image.load()
        image = _apply_orientation(image, orientation)
        rgb = to_rgb(image, background)
    except ImageError:
        raise
    except _PARSER_ERRORS as error:
        raise _damaged(error) from error
    facts = ImageFacts(
        sha256=digest,
        num_bytes=len(data),
        format=stored_format,
        mode=stored_mode,
        original_size=(width, height),
        decoded_size=rgb.size,
        frames=frames,
        orientation=orientation,
    )
    return LoadedImage(image=rgb, facts=facts)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow's own guard fires before ours can read the size: say our limit, not its.
        raise ImageError(
            "too_many_pixels",
            f"the image has more than {max_pixels:,} pixels, the most WildLens decodes",
        ) from error
    except UnidentifiedImageError as error:
        other = _identify_any_format(data)
        if other:
            raise ImageError(
                "unsupported_format",
                f"{other} images are not accepted; use one of {', '.join(ALLOWED_FORMATS)}",
            ) from error
        raise ImageError("not_an_image", "the file is not an image") from error
    except _PARSER_ERRORS as error:
        raise _damaged(error) from error
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ImageError("corrupt", f"the image has an impossible size {width}x{height}")
    if width * height > max_pixels:
        raise ImageError(
            "too_many_pixels",
            f"{width}x{height} = {width * height:,} pixels is over the limit of {max_pixels:,}",
        )
    return image


def _damaged(error: Exception) -> ImageError:
    """The ImageError for a parser failure: cut short (`truncated`) or otherwise `corrupt`."""
    if "truncat" in str(error).lower() or isinstance(error, EOFError):
        return ImageError("truncated", "the file is cut short (an incomplete copy or download?)")
    return ImageError("corrupt", f"the image data is damaged ({error})")


def _identify_any_format(data: bytes) -> str | None:
    """The format name if Pillow knows this file at all (outside our allowed list)."""
    try:
        with Image.open(io.BytesIO(data)) as other:
            return other.format
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "oversized"
    except _PARSER_ERRORS:
        return None


def _orientation(image: Image.Image) -> int:
    # HEIF comes back already rotated; pillow-heif keeps the stored tag here.
    if "original_orientation" in image.info:
        return int(image.info["original_orientation"] or 1)
    try:
        value = int(image.getexif().get(0x0112, 1))
    except _PARSER_ERRORS:
        return 1  # unreadable EXIF: keep the pixels, treat as upright
    return value if 1 <= value <= 8 else 1


def _apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    if orientation == 1 or "original_orientation" in image.info:
        return image
    return ImageOps.exif_transpose(image)


def to_rgb(
    image: Image.Image, background: tuple[int, int, int] = DEFAULT_BACKGROUND
) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB explicitly; transparency is composited."""
    mode = image.mode
    if mode == "RGB":
        return image
    if (mode == "P" and "transparency" in image.info) or mode == "PA":
        image, mode = image.convert("RGBA"), "RGBA"
    if mode in ("RGBA", "LA", "RGBa", "La"):
        if mode == "La":  # premultiplied; Pillow converts La only to LA
            image = image.convert("LA")
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (*background, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    if mode.startswith("I;16") or mode in ("I", "F"):
        return Image.fromarray(_scale_to_uint8(np.asarray(image), mode)).convert("RGB")
    if mode in ("1", "L", "P", "CMYK", "YCbCr", "LAB", "HSV"):
        return image.convert("RGB")
    raise ImageError("unsupported_format", f"pixel mode {mode} is not supported")


def _scale_to_uint8(pixels: np.ndarray, mode: str) -> np.ndarray:
    """Scale high-bit-depth pixels to 0-255.

    `I;16*` (16-bit) divide by 257. `I` (32-bit integer, bit depth unknown) takes the smallest of
    8, 16 bits or its own maximum that holds the data. `F` (float) in [0, 1] multiplies by 255;
    larger floats are scaled by their maximum. Negative values and NaN become 0.
    """
    values = np.nan_to_num(pixels.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    high = float(values.max()) if values.size else 0.0
    if mode.startswith("I;16"):
        full_scale = 65535.0
    elif mode == "I":
        full_scale = 255.0 if high <= 255 else 65535.0 if high <= 65535 else high
    else:
        full_scale = 1.0 if high <= 1.0 else high
    return np.clip(np.rint(values * (255.0 / full_scale)), 0, 255).astype(np.uint8)
