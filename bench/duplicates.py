"""Near-duplicate detection on real photos: false matches among originals, recall on copies.

    python bench/duplicates.py [DATA]   (default ../shared/datasets/clothing-small)

Every photo of DATA is signed (`data.duplicates`); candidate pairs and verified pairs among the
originals are counted (a verified pair is a false match unless the photos really are copies).
Then, for 100 of them, four edited copies are made (resized to half and recompressed at quality
60; 5% cropped from every side; 10% cropped from the left; 5/3/3/2% cropped and recompressed at
quality 40) and the share found (candidate) and confirmed (verified) is reported.
"""

from __future__ import annotations

import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

import wildlens  # noqa: F401  (offline defaults)
from wildlens.data.duplicates import candidate_pairs, image_signature, same_photo
from wildlens.data.images import load_image
from wildlens.data.sources import list_images

EDITS = {
    "half size, quality 60": lambda im: _jpeg(im.resize((im.width // 2, im.height // 2)), 60),
    "5% crop each side": lambda im: _jpeg(_crop(im, 0.05, 0.05, 0.05, 0.05), 85),
    "10% crop, left": lambda im: _jpeg(_crop(im, 0.10, 0, 0, 0), 85),
    "5/3/3/2% crop, quality 40": lambda im: _jpeg(_crop(im, 0.05, 0.03, 0.03, 0.02), 40),
}


def _crop(image: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = image.size
    return image.crop((int(w * left), int(h * top), int(w * (1 - right)), int(h * (1 - bottom))))


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def signature(source):
    return image_signature(load_image(source, target_size=256).image)


def main() -> None:
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets/clothing-small")
    paths = list_images(data)
    start = time.perf_counter()
    signatures = [signature(p) for p in paths]
    signing = (time.perf_counter() - start) / len(paths)
    start = time.perf_counter()
    candidates = candidate_pairs(signatures)
    verified = [(i, j) for i, j in candidates if same_photo(signatures[i], signatures[j])]
    matching = time.perf_counter() - start
    print(
        f"{len(paths)} photos in {data}: {signing * 1000:.1f} ms each to sign, "
        f"{matching:.1f} s to match all pairs"
    )
    print(f"candidate pairs {len(candidates)}, verified {len(verified)}:")
    for i, j in verified:
        print(f"  {paths[i].relative_to(data)} ~ {paths[j].relative_to(data)}")
    print("\n| edit (100 photos) | candidate | verified |\n|---|---:|---:|")
    for name, edit in EDITS.items():
        found = confirmed = 0
        for index in random.Random(0).sample(range(len(paths)), 100):
            copy = signature(edit(Image.open(paths[index]).convert("RGB")))
            if candidate_pairs([signatures[index], copy]):
                found += 1
                confirmed += same_photo(signatures[index], copy)
        print(f"| {name} | {found}% | {confirmed}% |")


if __name__ == "__main__":
    main()
