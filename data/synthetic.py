"""Procedural photos of the default catalogue's classes, for the demo bundle and for tests.

These are drawings of each material's diagnostic texture (Schreger cross-hatching for ivory,
overlapping ridged plates for pangolin scales, fibres for rhino horn, streaked red-brown grain for
rosewood, ...) placed on a table under random light, angle, scale, blur and noise. A model trained
on them only demonstrates the software: it knows nothing about real seized items.

    write_dataset("runs/synthetic", per_class={"train": 30, "val": 10}, size=192, seed=0)
    image = render("elephant_ivory", np.random.default_rng(0), size=192)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

Array = np.ndarray
Texture = Callable[[np.random.Generator, Array, Array], tuple[Array, Array]]  # -> (rgb, mask)


def _grid(size: int) -> tuple[Array, Array]:
    """(y, x) coordinates in [-1, 1], shape (size, size) each."""
    axis = np.linspace(-1.0, 1.0, size, dtype=np.float32)
    return np.meshgrid(axis, axis, indexing="ij")


def _smooth_noise(rng: np.random.Generator, size: int, cells: tuple[int, int]) -> Array:
    """Value noise: random cells upsampled smoothly to (size, size), in [0, 1]."""
    small = rng.random(cells, dtype=np.float32)
    image = Image.fromarray((small * 255).astype(np.uint8)).resize((size, size), Image.BICUBIC)
    return np.asarray(image, dtype=np.float32) / 255.0


def _colour(base: Iterable[float], shade: Array) -> Array:
    """An (H, W, 3) image of `base` colour scaled by `shade` (H, W)."""
    return np.clip(np.asarray(base, np.float32)[None, None, :] * shade[..., None], 0.0, 1.0)


def _mix(a: Array, b: Array, weight: Array) -> Array:
    return a * (1.0 - weight[..., None]) + b * weight[..., None]


def _ellipse_mask(y: Array, x: Array, ry: float, rx: float, soft: float = 0.02) -> Array:
    distance = np.sqrt((y / ry) ** 2 + (x / rx) ** 2)
    return np.clip((1.0 - distance) / soft, 0.0, 1.0)


def _ivory(rng, y, x):
    """Tusk cross-section: cream dentine with Schreger cross-hatching and a darker rim."""
    r = np.sqrt(y**2 + x**2) + 1e-6
    theta = np.arctan2(y, x)
    n, twist = rng.integers(14, 24), rng.uniform(2.5, 4.5)
    hatch = np.sin(n * theta + twist * n * r * 0.5) * np.sin(n * theta - twist * n * r * 0.5)
    rings = 0.03 * np.sin(r * rng.uniform(40, 70))
    shade = 0.93 + 0.06 * hatch + rings
    rgb = _colour(np.asarray((1.0, 0.94, 0.80)) * rng.uniform(0.9, 1.0, 3), shade)
    radius = rng.uniform(0.7, 0.9)
    rim = np.clip((r / radius - 0.92) / 0.08, 0, 1)
    rgb = _mix(rgb, _colour((0.75, 0.62, 0.45), np.ones_like(r)), rim * 0.8)
    return rgb, _ellipse_mask(y, x, radius * rng.uniform(0.85, 1.0), radius)


def _pangolin(rng, y, x):
    """A pile of overlapping shield-shaped keratin plates with fine ridges from the base."""
    rgb = np.zeros((*y.shape, 3), np.float32)
    mask = np.zeros(y.shape, np.float32)
    for _ in range(rng.integers(4, 8)):
        cy, cx = rng.uniform(-0.45, 0.45, 2)
        angle = rng.uniform(0, 2 * np.pi)
        scale = rng.uniform(0.3, 0.45)
        v = ((y - cy) * np.cos(angle) + (x - cx) * np.sin(angle)) / scale  # base -> tip axis
        u = (-(y - cy) * np.sin(angle) + (x - cx) * np.cos(angle)) / scale
        half_width = np.where(
            v < 0, 0.8 * np.sqrt(np.clip(1 - v**2, 0, 1)), 0.8 * (1 - v)
        )  # shield
        inside = np.clip((half_width - np.abs(u)) / 0.05, 0, 1) * (v > -1) * (v < 1)
        ridges = 0.5 + 0.5 * np.sin(u * rng.uniform(25, 40) / (1.1 + v * 0.3))
        edge = np.clip(1 - (half_width - np.abs(u)) / 0.25, 0, 1)  # translucent amber margin
        base = np.asarray((0.42, 0.28, 0.16), np.float32) * rng.uniform(0.8, 1.2)
        plate = _colour(base, 0.85 + 0.2 * ridges - 0.15 * (v + 1) / 2)
        plate = _mix(plate, _colour((0.85, 0.62, 0.32), np.ones_like(u)), edge * 0.6)
        rgb = _mix(rgb, plate, inside)
        mask = np.maximum(mask, inside)
    return rgb, mask


def _rhino(rng, y, x):
    """A horn: a curved cone of compacted fibres, grey-brown to black, streaked along its length."""
    along = (y + 1) / 2  # 0 at the tip (top), 1 at the base
    bend = rng.uniform(-0.3, 0.3) * (1 - along) ** 2
    half_width = 0.08 + 0.55 * along**0.8
    inside = np.clip((half_width - np.abs(x - bend)) / 0.03, 0, 1) * (y > -0.9) * (y < 0.85)
    fibres = _smooth_noise(rng, y.shape[0], (6, rng.integers(90, 140)))
    streaks = _smooth_noise(rng, y.shape[0], (3, 30))
    shade = 0.65 + 0.45 * fibres + 0.2 * streaks - 0.25 * (1 - along)
    rgb = _colour(np.asarray((0.38, 0.32, 0.26)) * rng.uniform(0.8, 1.1), shade)
    return rgb, inside


def _rosewood(rng, y, x):
    """A board of red-brown rosewood with wavy grain and dark streaks."""
    warp = 0.08 * np.sin(y * rng.uniform(2, 5) + rng.uniform(0, 6))
    grain = 0.5 + 0.5 * np.sin((x + warp) * rng.uniform(60, 110))
    streak_field = _smooth_noise(rng, y.shape[0], (4, rng.integers(10, 18)))
    streaks = np.clip((streak_field - 0.55) / 0.15, 0, 1)
    base = np.asarray((0.50, 0.20, 0.12), np.float32) * rng.uniform(0.8, 1.15)
    rgb = _colour(base, 0.8 + 0.25 * grain)
    rgb = _mix(rgb, _colour((0.16, 0.05, 0.04), np.ones_like(x)), streaks * 0.85)
    return rgb, _board_mask(rng, y, x)


def _board_mask(rng, y, x):
    height, width = rng.uniform(0.6, 0.9), rng.uniform(0.35, 0.7)
    return np.clip((height - np.abs(y)) / 0.02, 0, 1) * np.clip((width - np.abs(x)) / 0.02, 0, 1)


def _bone(rng, y, x):
    """Chalky off-white bone with small dark pits and canals."""
    shade = 0.88 + 0.1 * _smooth_noise(rng, y.shape[0], (20, 20))
    rgb = _colour((0.95, 0.92, 0.85), shade)
    pits = Image.new("L", (y.shape[1], y.shape[0]), 0)
    draw = ImageDraw.Draw(pits)
    size = y.shape[0]
    for _ in range(rng.integers(40, 110)):
        cx, cy = rng.uniform(0.15, 0.85, 2) * size
        length, width = rng.uniform(0.005, 0.025) * size, rng.uniform(0.003, 0.01) * size
        draw.ellipse((cx - length, cy - width, cx + length, cy + width), fill=255)
    pit = np.asarray(pits, np.float32) / 255.0
    rgb = _mix(rgb, _colour((0.35, 0.3, 0.25), np.ones_like(pit)), pit * 0.9)
    ry, rx = rng.uniform(0.5, 0.8, 2)
    distance = np.sqrt((y / ry) ** 2 + (x / rx) ** 2) + 0.3 * _smooth_noise(rng, y.shape[0], (5, 5))
    return rgb, np.clip((1.15 - distance) / 0.05, 0, 1)  # an irregular fragment


def _cattle_horn(rng, y, x):
    """A smooth, glossy, curved horn sheath: dark tip to amber base, with growth rings."""
    curve = rng.uniform(0.6, 1.2)
    cx, cy = 0.0, 1.3
    r = np.sqrt((y - cy) ** 2 + (x - cx) ** 2)
    angle = np.arctan2(x - cx, cy - y)  # position along the crescent
    along = np.clip((angle + 0.9) / 1.8, 0, 1)
    mid = curve + 0.2
    half = 0.05 + 0.3 * (1 - along)
    inside = np.clip((half - np.abs(r - mid)) / 0.03, 0, 1) * (angle > -0.9) * (angle < 0.9)
    rings = 0.04 * np.sin(along * rng.uniform(60, 100))
    dark, amber = (0.12, 0.11, 0.10), np.asarray((0.62, 0.48, 0.30)) * rng.uniform(0.8, 1.1)
    rgb = _mix(_colour(amber, 1 + rings), _colour(dark, 1 + rings), along**0.7)
    gloss = np.exp(-(((r - mid + half * 0.4) / 0.03) ** 2)) * 0.5
    rgb = np.clip(rgb + gloss[..., None], 0, 1)
    return rgb, inside


def _resin(rng, y, x):
    """A moulded imitation: uniform colour, perfectly regular pattern, round air bubbles, gloss."""
    base = [(0.92, 0.88, 0.78), (0.55, 0.38, 0.2), (0.2, 0.18, 0.16)][rng.integers(0, 3)]
    period = rng.uniform(18, 30)
    regular = 0.5 + 0.5 * np.sign(np.sin(x * period)) * np.sign(np.sin(y * period))
    rgb = _colour(base, 0.96 + 0.04 * regular)
    bubbles = Image.new("L", (y.shape[1], y.shape[0]), 0)
    draw = ImageDraw.Draw(bubbles)
    size = y.shape[0]
    for _ in range(rng.integers(8, 25)):
        cx, cy = rng.uniform(0.2, 0.8, 2) * size
        radius = rng.uniform(0.006, 0.02) * size
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=255, width=1)
    ring = np.asarray(bubbles, np.float32) / 255.0
    rgb = _mix(rgb, np.ones_like(rgb) * 0.98, ring * 0.8)
    gloss = np.exp(-((y + x * 0.5 + 0.3) ** 2) / 0.01) * 0.35
    rgb = np.clip(rgb + gloss[..., None], 0, 1)
    if rng.random() < 0.5:
        return rgb, _ellipse_mask(y, x, rng.uniform(0.5, 0.8), rng.uniform(0.5, 0.8))
    return rgb, _board_mask(rng, y, x)


def _other_timber(rng, y, x):
    """A pale board with straight, even grain and an occasional knot."""
    grain = 0.5 + 0.5 * np.sin(
        x * rng.uniform(70, 120) + 0.02 * _smooth_noise(rng, y.shape[0], (3, 3))
    )
    base = np.asarray((0.80, 0.64, 0.42), np.float32) * rng.uniform(0.85, 1.1)
    shade = 0.88 + 0.12 * grain
    if rng.random() < 0.6:
        ky, kx = rng.uniform(-0.4, 0.4), rng.uniform(-0.2, 0.2)
        knot_r = np.sqrt(((y - ky) / 2.0) ** 2 + (x - kx) ** 2)
        shade = shade - 0.25 * np.exp(-knot_r / 0.04) + 0.05 * np.sin(knot_r * 120) * (knot_r < 0.1)
    return _colour(base, shade), _board_mask(rng, y, x)


RENDERERS: dict[str, Texture] = {
    "pangolin_scale": _pangolin,
    "elephant_ivory": _ivory,
    "rhino_horn": _rhino,
    "rosewood": _rosewood,
    "bone": _bone,
    "cattle_horn": _cattle_horn,
    "resin_imitation": _resin,
    "other_timber": _other_timber,
}
CLASSES = tuple(RENDERERS)


def _background(rng: np.random.Generator, size: int) -> Array:
    """A table, tray or cloth: a tinted surface with a soft gradient and fine texture."""
    y, x = _grid(size)
    tint = rng.uniform(0.25, 0.95, 3).astype(np.float32)
    direction = rng.uniform(0, 2 * np.pi)
    gradient = 0.85 + 0.15 * (np.cos(direction) * x + np.sin(direction) * y)
    texture = 0.06 * (_smooth_noise(rng, size, (48, 48)) - 0.5)
    return np.clip(tint[None, None, :] * (gradient + texture)[..., None], 0, 1)


def render(class_id: str, rng: np.random.Generator, size: int = 192) -> Image.Image:
    """One synthetic photo of `class_id`: random pose, scale, light, blur and noise; RGB."""
    work = size * 2  # draw large, then downsample (antialiased)
    y, x = _grid(work)
    rgb, mask = RENDERERS[class_id](rng, y, x)
    item = Image.fromarray((rgb * 255).astype(np.uint8))
    alpha = Image.fromarray((np.clip(mask, 0, 1) * 255).astype(np.uint8))
    angle = float(rng.uniform(0, 360))
    item = item.rotate(angle, resample=Image.BILINEAR)
    alpha = alpha.rotate(angle, resample=Image.BILINEAR)
    scale = rng.uniform(0.65, 1.1)
    side = max(8, int(work * scale))
    item, alpha = (
        item.resize((side, side), Image.BILINEAR),
        alpha.resize((side, side), Image.BILINEAR),
    )
    canvas = Image.fromarray((_background(rng, work) * 255).astype(np.uint8))
    shadow = alpha.filter(ImageFilter.GaussianBlur(work * 0.02)).point(lambda v: int(v * 0.5))
    offset = rng.integers(-work // 8, work // 8 + 1, 2) + (work - side) // 2
    canvas.paste((0, 0, 0), (int(offset[0] + work * 0.02), int(offset[1] + work * 0.02)), shadow)
    canvas.paste(item, (int(offset[0]), int(offset[1])), alpha)
    pixels = np.asarray(canvas, np.float32) / 255.0
    light_y, light_x = _grid(work)
    direction = rng.uniform(0, 2 * np.pi)
    light = rng.uniform(0.75, 1.0) + rng.uniform(0, 0.25) * (
        np.cos(direction) * light_x + np.sin(direction) * light_y
    )
    cast = rng.uniform(0.9, 1.1, 3).astype(np.float32)
    pixels = pixels * light[..., None] * cast[None, None, :]
    pixels = pixels + rng.normal(0, rng.uniform(0, 0.03), pixels.shape).astype(np.float32)
    image = Image.fromarray((np.clip(pixels, 0, 1) * 255).astype(np.uint8))
    image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 1.5))))
    return image.resize((size, size), Image.LANCZOS)


def write_dataset(
    root: str | Path,
    per_class: dict[str, int],
    size: int = 192,
    seed: int = 0,
    classes: Iterable[str] = CLASSES,
) -> Path:
    """Write an ImageFolder tree `root/<split>/<class>/<class>_NNNN.jpg` of synthetic photos.

    Args:
        root: output folder (created).
        per_class: images per class for each split, e.g. {"train": 30, "val": 10};
            a single split named "" writes `root/<class>/...` (no split level).
        size: square image side in pixels.
        seed: the whole tree is a function of the seed.
        classes: class ids from `CLASSES`.
    Returns:
        `root`.
    """
    root = Path(root)
    for split_index, (split, count) in enumerate(per_class.items()):
        for class_index, class_id in enumerate(classes):
            folder = root / split / class_id if split else root / class_id
            folder.mkdir(parents=True, exist_ok=True)
            rng = np.random.default_rng([seed, split_index, class_index])
            for i in range(count):
                quality = int(rng.integers(75, 96))
                render(class_id, rng, size).save(
                    folder / f"{class_id}_{i:04d}.jpg", quality=quality
                )
    return root
