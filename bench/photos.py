"""Generated phone-like photos for benchmarks: 4000x3000 JPEGs with real-photo-like detail."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from wildlens.data.synthetic import CLASSES, render


def phone_photo(seed: int, size: tuple[int, int] = (4000, 3000)) -> Image.Image:
    """A synthetic item, enlarged to `size`, with sensor-like noise and fine texture."""
    rng = np.random.default_rng(seed)
    base = render(CLASSES[seed % len(CLASSES)], rng, size=512).resize(size, Image.BICUBIC)
    noise = rng.normal(0, 6, (size[1] // 2, size[0] // 2, 3)).astype(np.float32)
    grain = Image.fromarray(np.clip(noise + 128, 0, 255).astype(np.uint8)).resize(size)
    grain = grain.filter(ImageFilter.GaussianBlur(0.6))
    pixels = np.asarray(base, np.int16) + np.asarray(grain, np.int16) - 128
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def write_photos(
    folder: str | Path, count: int, size: tuple[int, int] = (4000, 3000)
) -> list[Path]:
    """`count` phone-like JPEGs in `folder` (kept between runs: generation is the slow part)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"photo_{size[0]}x{size[1]}_{i:04d}.jpg"
        if not path.exists():
            phone_photo(i, size).save(path, format="JPEG", quality=92)
        paths.append(path)
    return paths
