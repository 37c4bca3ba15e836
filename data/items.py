"""Finding the items of an evidence-table photo: several items laid apart on a plain or textured
surface (a table, a cloth), each to be decided alone. Class-agnostic, and no learned weights:
a user has single-item training photos, not boxes.

    boxes = find_items(image)             # [ItemBox, ...] in pixels of the (upright) image
    crop = image.crop(boxes[0].expanded(0.08, image.size).as_tuple())
    crop = item_crop(reduced_image, box_in_full_pixels, full_size)   # the same, from any decode
    given = soften_surround(crop)         # what the model decides: the table round it blurred

How: the surface is what the photo's border shows. The photo is reduced to a working size and
smoothed (so wood grain and cloth weave read as their mean colour); the border's colours are
clustered (a grain has light and dark streaks), and a colour covering less than a fifth of the
border is an item reaching the edge, not surface. A pixel is item where it is far from every
surface colour (in units of that colour's own spread) or has more local contrast than the
surface has (a dark band across a light carving averages to the table's colour, not to its
texture). The mask is opened, closed and its holes filled; each connected region is a piece,
and pieces whose outlines lie nearer than a tenth of the smaller one's width, or whose boxes
overlap much, are one item (a print on a shirt, a carving's dark band; items laid apart lie
further apart, even where their boxes come close: an L-shaped item and one in its corner).
A photo whose pieces together cover a quarter of the frame (a pair of shoes, a garment), with
a large piece cut by its edge (a close-up; unless an item inside the photo is at least half
its size, as on a table where one item was laid against the edge), whose border is mostly
item, or whose only pieces touch its edge, is one item: the whole photo, so its answer is the
photo's own (docs/benchmarks.md, "Items on a table"). So is a photo whose pieces filling less
than about half of their convex hulls hold a quarter of the item pixels: an item laid on a
table is a solid region, while the folds, shadows and print marks of a garment filling the
frame (on a bed or patterned floor the border shows as much garment as floor) are scattered
fragments of something the surface model cannot tell apart. A piece that is blobs joined by
narrow necks (items laid touching) is cut at the necks (`split_blobs`), and one that is two
solid blobs of different colour side by side (items laid edge to edge) between them
(`split_colours`). A long thin strip
whose lightness repeats along it (a ruler's ticks) is not an item.

Only numpy and OpenCV: the data layer, importable by decode workers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

# Surface kept round each item's crop, as a share of the item's longer side: a photo of an item
# alone shows some table round it, and the model was calibrated on such photos.
ITEM_MARGIN = 0.08
# Photos are decoded for item finding with both sides at least this (JPEG draft scale): an item
# a sixth of a 12 MP photo's width then still covers more than the model's input.
ITEMS_DECODE_SIDE = 1200
# Before an item's crop is decided, the surface round the item is blurred (a Gaussian of this
# share of the crop's shorter side), so a table's grain or weave does not speak for the item;
# the item itself, every pixel further than SURROUND_DISTANCE from the crop border's median
# colour (OpenCV's 8-bit Lab) in the crop's largest such region, holes filled, stays sharp. The
# crop is softened at most SURROUND_SIDE on its longer side (the model's input is smaller).
# docs/benchmarks.md, "Items on a table": chosen on seed 0's scenes, reported on seed 1's.
SURROUND_BLUR = 0.04
SURROUND_DISTANCE = 14.0
SURROUND_SIDE = 512
NO_ITEMS = "no_items"  # the code of a photo where no item was found
NO_ITEMS_MESSAGE = (
    "no item was found on the surface of this photo; check that the items lie apart on a plain "
    "or evenly textured surface, or classify it with items=false"
)


@dataclass(frozen=True)
class ItemBox:
    """An item's box [x0, y0, x1, y1) in pixels of the upright photo."""

    x0: int
    y0: int
    x1: int
    y1: int

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.x0, self.y0, self.x1, self.y1)

    def as_list(self) -> list[int]:
        return [self.x0, self.y0, self.x1, self.y1]

    @property
    def area(self) -> int:
        return max(0, self.x1 - self.x0) * max(0, self.y1 - self.y0)

    def expanded(self, margin: float, size: tuple[int, int]) -> ItemBox:
        """A square round the box, its side the box's longer side plus `margin` of it on each
        side, kept inside `size` (width, height) where it fits: framed as a photo of the item
        alone would be (the eval transform's centre crop then keeps the whole item, where a
        long item's own box would lose its ends)."""
        side = round(max(self.x1 - self.x0, self.y1 - self.y0) * (1 + 2 * margin))
        width, height = size
        x0 = _placed((self.x0 + self.x1) / 2 - side / 2, side, width)
        y0 = _placed((self.y0 + self.y1) / 2 - side / 2, side, height)
        return ItemBox(x0, y0, min(width, x0 + side), min(height, y0 + side))


def _placed(start: float, side: int, limit: int) -> int:
    """The start of a span of `side` moved inside [0, limit) where it fits, else 0."""
    return max(0, min(round(start), limit - side))


@dataclass(frozen=True)
class FinderSettings:
    """How items are told from the surface; sizes are shares of the working image's longer side
    (or of its area), so a phone photo and its thumbnail give the same boxes."""

    working_side: int = 640  # the photo is reduced to this longer side first
    # A photo whose surface (its border strip) has a median grey below this share of white (low
    # light) is brightened with a gamma until it is at it: in the dark a surface's and the
    # items' colours crowd into a few levels, under the sensor's noise. The border, not the
    # whole photo: a dark item filling a photo in good light is no dark photo.
    dark_median: float = 0.3
    smoothing: float = 0.005  # Gaussian sigma that blurs surface texture away
    border: float = 0.03  # the strip whose colours model the surface
    clusters: int = 3  # surface colours (a grain's light and dark streaks, a shadow)
    surface_share: float = 0.2  # a border colour covering less than this share is not surface
    threshold: float = 4.0  # distance to the surface, in its colour's spreads, that is item
    min_spread: float = 2.5  # Lab units: a perfectly plain surface is not infinitely strict
    texture_scale: float = 2.0  # texture distances are divided by this (a grain varies more)
    gap: float = 0.004  # pieces closer than this are one item
    join_ratio: float = 0.1  # outlines nearer than this share of the smaller one's width: one item
    # ...or boxes overlapping by this share of the smaller box (a part inside another's box)
    join_overlap: float = 0.3
    min_area: float = 0.0015  # smaller regions (dust, a glint) are not items
    full_frame_border: float = 0.5  # share of the border that is foreground: one framed item
    # Pieces whose boxes together cover this share of the frame are one item filling it (a pair
    # of shoes, a garment's parts): six items laid apart on a table covered at most 0.20.
    cover_share: float = 0.25
    # A piece reaching the photo's edge and covering this share of it: a close-up of one item
    # (items laid on a table lie inside the photo).
    edge_share: float = 0.05
    # ...unless an item inside the photo (not at its edge) is at least this share of that
    # piece's size: then it is a table with one item laid against the edge, not a close-up.
    edge_rival: float = 0.5
    # A piece filling less than this share of its convex hull is fragments of one item the
    # surface model cannot separate (folds, shadows, a print's marks), not an item laid apart:
    # the photo is one item. Items laid apart filled at least 0.66 of their hulls.
    fragment_solidity: float = 0.55
    # ...when such pieces hold at least this share of the item pixels (one thin, curved item
    # among solid ones, a tusk, is an item of its own).
    fragment_share: float = 0.25
    # Items laid touching are one region: it is cut into its blobs where they are joined by a
    # neck whose half-width is at most `neck` of each blob's own (the distance transform's
    # peaks); a garment's sleeve or a tusk's tip, as wide where it joins as anywhere, is not.
    neck: float = 0.6
    # ...and a region with no neck is cut in two where it is two solid blobs of different colour
    # side by side (two garments laid edge to edge: their union is boxy, shape alone cannot cut
    # it): the region's colours in two k-means clusters at least `split_colour` Lab units apart
    # (lightness counted at half, shading varies it within one item), each cluster's largest
    # blob at least `split_share` of the region, `split_coherent` of its cluster and
    # `split_solidity` of its hull, the two blobs' boxes (and the halves' boxes) sharing at most
    # `split_overlap` of the smaller (a print lies inside its garment's box).
    split_colour: float = 15.0
    split_share: float = 0.2
    split_coherent: float = 0.8
    split_solidity: float = 0.75
    split_overlap: float = 0.3
    # ...and a region still whole is cut along the line between two notches of its outline
    # (convexity defects at least `notch_depth` of the square root of its area deep, the line at
    # most `notch_line` times the shallower one's depth): where two items laid touching meet,
    # both outlines turn in. Only when both halves fill `notch_solidity` of their hulls, are at
    # least `split_share` of the region, their median colours `notch_colour` Lab units apart
    # (lightness at half) and the colour changes across the line by `notch_seam` (median over
    # the line, sampled `notch_offset` of the working side either side of it): a seam between two
    # items, not a fold or a print across one (a shirt's armpits, a dress's embroidered yoke).
    notch_depth: float = 0.08
    notch_line: float = 9.0
    notch_solidity: float = 0.85
    notch_colour: float = 10.0
    notch_seam: float = 10.0
    notch_offset: float = 0.00625
    # A ruler laid for scale is not an item: a strip at least `ruler_aspect` times longer than
    # wide whose lightness along it repeats (ticks), at least `ruler_ticks` periods, with
    # `ruler_contrast` grey levels of spread and autocorrelation `ruler_repeat` at the period.
    ruler_aspect: float = 5.0
    ruler_ticks: int = 8
    ruler_contrast: float = 8.0
    ruler_repeat: float = 0.5


def find_items(
    image: Image.Image | np.ndarray, settings: FinderSettings | None = None
) -> list[ItemBox]:
    """The items on the surface of an RGB photo, in reading order (rows top to bottom, each
    left to right); a photo of one item gives one box, the whole photo; a bare surface none."""
    settings = settings or FinderSettings()
    rgb = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)
    height, width = rgb.shape[:2]
    small, scale = working_copy(rgb, settings.working_side)
    small = brightened(small, settings.dark_median, settings.border)
    lab = smoothed_lab(small, settings.smoothing)
    colour = item_mask(surface_distance(lab, settings), settings)
    mask = colour | item_mask(texture_distance(small, settings), settings)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    pieces = pieces_of(mask, settings, colour, lambda box: is_ruler(grey, box, settings))
    boxes = join_pieces(pieces, settings.join_ratio, settings.join_overlap)
    if is_fragments(pieces, settings) or is_one_item(boxes, mask, settings):
        return [ItemBox(0, 0, width, height)]
    alone = [box for box in boxes if sum(_inside(p.box, box) for p in pieces) == 1]
    boxes = reading_order(
        [
            part
            for box in boxes
            for part in (touching(mask, lab, box, settings) if box in alone else [box])
        ]
    )
    return [scale_box(box, scale, (width, height)) for box in boxes]


def working_copy(rgb: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """The photo reduced so its longer side is at most `side`, and the factor back to full size."""
    height, width = rgb.shape[:2]
    scale = max(height, width) / side
    if scale <= 1:
        return rgb, 1.0
    size = (max(1, round(width / scale)), max(1, round(height / scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), scale


def brightened(rgb: np.ndarray, dark_median: float, border: float) -> np.ndarray:
    """`rgb` unchanged, or, where the median grey of its `border` strip is below `dark_median`
    of white, with the gamma that puts that median there."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None]
    median = float(np.median(border_pixels(grey, border))) / 255
    if median >= dark_median:
        return rgb
    gamma = np.log(dark_median) / np.log(max(median, 1 / 255))
    levels = 255 * (np.arange(256) / 255) ** gamma
    return cv2.LUT(rgb, np.clip(np.round(levels), 0, 255).astype(np.uint8))


def smoothed_lab(rgb: np.ndarray, smoothing: float) -> np.ndarray:
    """CIE Lab (float32, L in 0-100) after a blur that averages texture into its mean colour."""
    sigma = max(0.5, smoothing * max(rgb.shape[:2]))
    blurred = cv2.GaussianBlur(rgb, (0, 0), sigma)
    return cv2.cvtColor(blurred.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def border_pixels(image: np.ndarray, border: float) -> np.ndarray:
    """The pixels of the strip round the image's edge, (N, channels)."""
    height, width = image.shape[:2]
    strip = max(1, round(border * max(height, width)))
    edge = np.zeros((height, width), bool)
    edge[:strip], edge[-strip:], edge[:, :strip], edge[:, -strip:] = True, True, True, True
    return image[edge].reshape(-1, image.shape[2] if image.ndim == 3 else 1)


def surface_distance(lab: np.ndarray, settings: FinderSettings) -> np.ndarray:
    """Each pixel's distance to the nearest surface colour (k-means of the border's colours),
    in units of that colour's spread: small on the surface, large on an item."""
    samples = border_pixels(lab, settings.border).astype(np.float32)
    k = max(1, min(settings.clusters, len(samples)))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    cv2.setRNGSeed(0)  # the same photo, the same boxes
    _, labels, centres = cv2.kmeans(samples, k, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    flat = lab.reshape(-1, 3)
    best = np.full(len(flat), np.inf, np.float32)
    for i, centre in enumerate(centres):
        members = samples[labels.ravel() == i]
        if len(members) < settings.surface_share * len(samples):
            continue  # an item reaching the edge in places does not make a surface colour
        spread = max(settings.min_spread, float(np.sqrt(((members - centre) ** 2).sum(1)).mean()))
        best = np.minimum(best, np.sqrt(((flat - centre) ** 2).sum(1)) / spread)
    return best.reshape(lab.shape[:2])


def local_contrast(rgb: np.ndarray, smoothing: float) -> np.ndarray:
    """Local standard deviation of lightness over the smoothing scale: high at an item's edges
    and markings (a dark band across a light carving averages to the table's colour, but not to
    its texture)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    sigma = max(0.5, smoothing * max(rgb.shape[:2]))
    mean = cv2.GaussianBlur(grey, (0, 0), sigma)
    square = cv2.GaussianBlur(grey * grey, (0, 0), sigma)
    return np.sqrt(np.maximum(square - mean * mean, 0))


def texture_distance(rgb: np.ndarray, settings: FinderSettings) -> np.ndarray:
    """How much more contrast a pixel's neighbourhood has than the surface's (its border's
    median, in units of the border's own spread): a grain or weave scores low, an edge high."""
    contrast = local_contrast(rgb, settings.smoothing)
    edge = border_pixels(contrast[..., None], settings.border).ravel()
    middle = float(np.median(edge))
    spread = max(settings.min_spread, 1.4826 * float(np.median(np.abs(edge - middle))))
    return (contrast - middle) / spread / settings.texture_scale


def item_mask(distance: np.ndarray, settings: FinderSettings) -> np.ndarray:
    """Foreground: far from every surface colour, closed, holes filled, specks removed."""
    mask = (distance > settings.threshold).astype(np.uint8)
    side = max(distance.shape)
    opening = _disc(max(1, round(0.003 * side)))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, opening)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, _disc(max(1, round(settings.gap * side))))
    return fill_holes(mask.astype(bool))


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """The mask with every region it encloses filled (a ring's inside is part of the item)."""
    padded = np.pad(mask.astype(np.uint8), 1)
    flood = padded.copy()
    cv2.floodFill(flood, None, (0, 0), 1)
    return mask | (flood[1:-1, 1:-1] == 0)


def border_share(mask: np.ndarray, border: float) -> float:
    """The share of the image's edge strip that is foreground."""
    return float(border_pixels(mask[..., None].astype(np.uint8), border).mean())


@dataclass(frozen=True)
class Piece:
    """A connected region of the item mask: its box, and the share of its convex hull it fills
    (near 1 for a solid item, low for scattered marks)."""

    box: ItemBox
    solidity: float
    area: int  # pixels of the region in the working copy
    region: np.ndarray = field(compare=False, repr=False)  # (H, W) bool, the working copy's


def is_fragments(pieces: Sequence[Piece], settings: FinderSettings) -> bool:
    """Whether the pieces are mostly fragments of one item (folds, shadow edges, scattered print
    marks): pieces filling less than `fragment_solidity` of their hulls hold at least
    `fragment_share` of the item pixels. One thin, curved item among solid ones (a tusk) does
    not make a photo one item."""
    total = sum(piece.area for piece in pieces)
    thin = sum(piece.area for piece in pieces if piece.solidity < settings.fragment_solidity)
    return total > 0 and thin >= settings.fragment_share * total


def pieces_of(
    mask: np.ndarray,
    settings: FinderSettings,
    tight: np.ndarray | None = None,
    not_item: Callable[[ItemBox], bool] | None = None,
) -> list[Piece]:
    """One piece per connected region (pieces within `gap` joined), too-small regions dropped,
    ordered as read: by rows of items, then left to right. `tight`: a mask whose pixels, where
    a region has any, give its box (the colour mask: texture's halo spreads past the edges).
    `not_item`: regions whose whole box it is true of are dropped (a ruler)."""
    side = max(mask.shape)
    joined = cv2.dilate(mask.astype(np.uint8), _disc(max(1, round(settings.gap * side))))
    count, labels = cv2.connectedComponents(joined, connectivity=8)
    min_pixels = settings.min_area * mask.size
    pieces = []
    for i in range(1, count):
        region = (labels == i) & mask  # the box of the item, not of its dilation
        if region.sum() < min_pixels:
            continue
        if not_item is not None and not_item(_box_of(region)):
            continue
        filled, area = solidity(region), int(region.sum())
        boxed = region & tight if tight is not None else region
        if boxed.sum() < max(1, min_pixels):
            boxed = region
        pieces.append(Piece(_box_of(boxed), filled, area, region))
    ordered = []
    for box in reading_order([piece.box for piece in pieces]):
        ordered.append(next(piece for piece in pieces if piece.box == box))
        pieces.remove(ordered[-1])
    return ordered


def solidity(region: np.ndarray) -> float:
    """The share of its convex hull a region fills (1 for a convex blob, lower for a crescent,
    low for scattered specks joined into one region)."""
    hull = cv2.contourArea(cv2.convexHull(cv2.findNonZero(region.astype(np.uint8))))
    return min(1.0, float(region.sum()) / max(1.0, hull))


def _box_of(region: np.ndarray) -> ItemBox:
    ys, xs = np.nonzero(region)
    return ItemBox(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)


def is_ruler(grey: np.ndarray, box: ItemBox, settings: FinderSettings) -> bool:
    """Whether a piece is a ruler laid for scale: a long thin strip whose lightness repeats
    along its length, with contrast, in some band across it (tick marks at a steady spacing,
    many times over); a plain stick or a tusk, however long, does not repeat so."""
    across = min(box.x1 - box.x0, box.y1 - box.y0)
    length = max(box.x1 - box.x0, box.y1 - box.y0)
    if length < settings.ruler_aspect * max(1, across) or length < 4 * settings.ruler_ticks:
        return False
    patch = grey[box.y0 : box.y1, box.x0 : box.x1]
    if box.y1 - box.y0 > box.x1 - box.x0:
        patch = patch.T  # the long side along x
    trim = length // 10  # the ends are steps, not ticks
    patch = patch[:, trim : length - trim]
    bands = [band for band in np.array_split(patch, 3, axis=0) if len(band)]
    return any(_ticks(band.mean(0), settings) for band in bands)


def _ticks(profile: np.ndarray, settings: FinderSettings) -> bool:
    """Whether a lightness profile repeats with contrast: its detail (slow trend removed) has
    at least `ruler_contrast` grey levels of spread and an autocorrelation of `ruler_repeat`
    at a lag past its first dip (a smooth bump correlates at short lags, ticks at their
    spacing) that fits `ruler_ticks` times in it."""
    length = len(profile)
    trend = cv2.GaussianBlur(profile.reshape(1, -1).astype(np.float32), (0, 0), length / 20)
    detail = profile - trend.ravel()
    detail -= detail.mean()
    if detail.std() < settings.ruler_contrast:
        return False
    energy = float((detail * detail).sum())
    lags = np.arange(1, length // settings.ruler_ticks + 1)
    ac = np.array([float((detail[:-lag] * detail[lag:]).sum()) / energy for lag in lags])
    below = np.flatnonzero(ac < 0)
    return bool(len(below)) and float(ac[below[0] :].max()) >= settings.ruler_repeat


def _inside(inner: ItemBox, outer: ItemBox) -> bool:
    return (
        outer.x0 <= inner.x0
        and outer.y0 <= inner.y0
        and inner.x1 <= outer.x1
        and inner.y1 <= outer.y1
    )


def touching(
    mask: np.ndarray, lab: np.ndarray, box: ItemBox, settings: FinderSettings
) -> list[ItemBox]:
    """The boxes of the items in one piece: one box, or one per blob where items laid touching
    (or overlapping a little) form one region joined by narrow necks (`split_blobs`), lie
    edge to edge in different colours (`split_colours`; `lab`: the working copy's colours), or
    meet where both outlines turn in (`split_notches`)."""
    crop = mask[box.y0 : box.y1, box.x0 : box.x1].astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    if count < 2:
        return [box]
    region = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    parts = split_blobs(region, settings.neck, settings.min_area * mask.size)
    if len(parts) < 2:
        parts = split_colours(lab[box.y0 : box.y1, box.x0 : box.x1], region, settings)
    if len(parts) < 2:
        offset = max(1, round(settings.notch_offset * max(mask.shape)))
        parts = split_notches(lab[box.y0 : box.y1, box.x0 : box.x1], region, settings, offset)
    if len(parts) < 2:
        return [box]
    return [
        ItemBox(box.x0 + p.x0, box.y0 + p.y0, box.x0 + p.x1, box.y0 + p.y1)
        for p in map(_box_of, parts)
    ]


def split_blobs(region: np.ndarray, neck: float, min_pixels: float) -> list[np.ndarray]:
    """A region cut into blobs joined by necks: the cores left when the distance transform is
    cut at the lowest level that leaves two or more cores each at least 1/`neck` times that
    level deep (so every neck is at most `neck` of each blob's half-width), every pixel given
    to its nearest core; the region alone when it has no such necks or a blob would be smaller
    than `min_pixels`."""
    padded = np.pad(region.astype(np.uint8), 1)
    depth = cv2.distanceTransform(padded, cv2.DIST_L2, 5)
    for level in np.linspace(0.1, 0.9, 17) * float(depth.max()):
        count, cores = cv2.connectedComponents((depth > level).astype(np.uint8))
        blobs = [i for i in range(1, count) if level <= neck * float(depth[cores == i].max())]
        if len(blobs) >= 2:
            break
    else:
        return [region]
    seeds = np.where(np.isin(cores, blobs), 0, 255).astype(np.uint8)
    _, nearest = cv2.distanceTransformWithLabels(
        seeds, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_CCOMP
    )
    parts = [(nearest == nearest[cores == i][0]) & padded.astype(bool) for i in blobs]
    if min(int(part.sum()) for part in parts) < min_pixels:
        return [region]
    return [part[1:-1, 1:-1] for part in parts]


# Colour differences between an item's parts count lightness at half: shading varies it within
# one item (split_colours, split_notches).
_LAB_WEIGHT = np.array([0.5, 1.0, 1.0])


def split_colours(
    lab: np.ndarray, region: np.ndarray, settings: FinderSettings
) -> list[np.ndarray]:
    """A region cut in two where it is two solid blobs of different colour side by side (two
    items laid edge to edge), every pixel given to the nearer blob; the region alone otherwise
    (one item of two colours: a print, stripes, a sole, does not make two solid blobs apart)."""
    pixels = lab[region].astype(np.float32) * _LAB_WEIGHT.astype(np.float32)
    if len(pixels) < 2:
        return [region]
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    cv2.setRNGSeed(0)  # the same photo, the same answer
    _, cluster, centres = cv2.kmeans(pixels, 2, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    if float(np.linalg.norm(centres[0] - centres[1])) < settings.split_colour:
        return [region]
    clusters = np.full(region.shape, -1, np.int32)
    clusters[region] = cluster.ravel()
    opening = _disc(max(1, round(0.02 * max(region.shape))))
    cores = []
    for k in (0, 1):
        members = clusters == k
        opened = cv2.morphologyEx(members.astype(np.uint8), cv2.MORPH_OPEN, opening)
        count, blobs, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
        if count < 2:
            return [region]
        core = blobs == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        size = int(core.sum())
        if (
            size < settings.split_share * region.sum()
            or size < settings.split_coherent * members.sum()
            or solidity(core) < settings.split_solidity
        ):
            return [region]
        cores.append(core)
    if _shared(*map(_box_of, cores)) > settings.split_overlap:
        return [region]
    seeds = np.where(cores[0] | cores[1], 0, 255).astype(np.uint8)
    _, nearest = cv2.distanceTransformWithLabels(
        seeds, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    core_of = np.full(int(nearest.max()) + 1, -1, np.int32)  # each seed pixel's label -> its core
    core_of[nearest[cores[0]]], core_of[nearest[cores[1]]] = 0, 1
    parts = [region & (core_of[nearest] == k) for k in (0, 1)]
    if (
        not all(part.any() for part in parts)
        or _shared(*map(_box_of, parts)) > settings.split_overlap
    ):
        return [region]
    return parts


def split_notches(
    lab: np.ndarray, region: np.ndarray, settings: FinderSettings, offset: int
) -> list[np.ndarray]:
    """A region cut in two along the shortest line (against the notches' depth) between two
    deep notches of its outline that leaves two solid halves of different colour with a seam
    of colour change along the line (`FinderSettings.notch_*`; `offset`: pixels either side of
    the line the seam is sampled at); the region alone otherwise. The line's pixels are in
    neither half."""
    outline = region.astype(np.uint8)
    contours, _ = cv2.findContours(outline, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    contour = max(contours, key=cv2.contourArea)
    if len(contour) < 20:
        return [region]
    try:
        defects = cv2.convexityDefects(contour, cv2.convexHull(contour, returnPoints=False))
    except cv2.error:  # a self-touching outline: no notches to trust
        return [region]
    if defects is None:
        return [region]
    area = float(region.sum())
    notches = [
        (tuple(int(v) for v in contour[far][0]), depth / 256.0)  # OpenCV's depth is fixed-point
        for _, _, far, depth in defects.reshape(-1, 4)
        if depth / 256.0 >= settings.notch_depth * np.sqrt(area)
    ]
    best: tuple[float, list[np.ndarray]] | None = None
    for (p, p_depth), (q, q_depth) in itertools.combinations(notches, 2):
        length = float(np.hypot(q[0] - p[0], q[1] - p[1]))
        if length > settings.notch_line * min(p_depth, q_depth):
            continue
        cut = outline.copy()
        cv2.line(cut, p, q, 0, thickness=3)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(cut, connectivity=4)
        if count < 3:
            continue
        first, second = 1 + np.argsort(stats[1:, cv2.CC_STAT_AREA])[::-1][:2]
        sizes = stats[first, cv2.CC_STAT_AREA], stats[second, cv2.CC_STAT_AREA]
        if sizes[1] < settings.split_share * area or sum(sizes) < 0.95 * area:
            continue
        halves = [labels == first, labels == second]
        if min(solidity(half) for half in halves) < settings.notch_solidity:
            continue
        medians = [np.median(lab[half], axis=0) * _LAB_WEIGHT for half in halves]
        if np.linalg.norm(medians[0] - medians[1]) < settings.notch_colour:
            continue
        if _seam(lab, region, p, q, offset) < settings.notch_seam:
            continue
        score = length / min(p_depth, q_depth)
        if best is None or score < best[0]:
            best = (score, halves)
    if best is None or _shared(*map(_box_of, best[1])) > settings.split_overlap:
        return [region]
    return best[1]


def _seam(
    lab: np.ndarray,
    region: np.ndarray,
    p: tuple[int, int],
    q: tuple[int, int],
    offset: int,
) -> float:
    """The median colour change across the line p-q (x, y): Lab distance between points
    `offset` pixels either side of it, at 24 points along its middle 80%, both in `region`."""
    start, end = np.array(p, float), np.array(q, float)
    length = max(float(np.linalg.norm(end - start)), 1e-6)
    normal = np.array([end[1] - start[1], start[0] - end[0]]) / length
    points = start + np.linspace(0.1, 0.9, 24)[:, None] * (end - start)
    limit = [region.shape[1] - 1, region.shape[0] - 1]
    one = np.clip(np.round(points + offset * normal), 0, limit).astype(int)
    other = np.clip(np.round(points - offset * normal), 0, limit).astype(int)
    inside = region[one[:, 1], one[:, 0]] & region[other[:, 1], other[:, 0]]
    if inside.sum() < 6:
        return 0.0
    change = lab[one[inside, 1], one[inside, 0]].astype(float)
    change -= lab[other[inside, 1], other[inside, 0]]
    return float(np.median(np.linalg.norm(change * _LAB_WEIGHT, axis=1)))


def _shared(a: ItemBox, b: ItemBox) -> float:
    """The share of the smaller box that two boxes have in common."""
    width = max(0, min(a.x1, b.x1) - max(a.x0, b.x0))
    height = max(0, min(a.y1, b.y1) - max(a.y0, b.y0))
    return width * height / max(1, min(a.area, b.area))


def reading_order(boxes: list[ItemBox]) -> list[ItemBox]:
    """Boxes in the order a person reads a table: rows (boxes whose vertical middles fall within
    the row's first box), top to bottom, each left to right; numbers that match the picture."""
    rest = sorted(boxes, key=lambda b: (b.y0, b.x0))
    ordered: list[ItemBox] = []
    while rest:
        first = rest[0]
        row = [b for b in rest if first.y0 <= (b.y0 + b.y1) / 2 <= first.y1]
        row = row or [first]
        ordered += sorted(row, key=lambda b: b.x0)
        rest = [b for b in rest if b not in row]
    return ordered


def box_gap(a: ItemBox, b: ItemBox) -> int:
    """Pixels between two boxes (0 when they touch or overlap)."""
    dx = max(0, max(a.x0, b.x0) - min(a.x1, b.x1))
    dy = max(0, max(a.y0, b.y0) - min(a.y1, b.y1))
    return max(dx, dy)


def join_pieces(pieces: Sequence[Piece], ratio: float, overlap: float) -> list[ItemBox]:
    """The boxes of the items the pieces make: two pieces are one item when their outlines lie
    nearer than `ratio` of the smaller one's shorter side, or their boxes overlap by `overlap` of
    the smaller box (a print inside a shirt's box), and so on transitively. Outlines, not boxes:
    items laid close on a table are apart where their boxes come close but their shapes do not
    (a boot and an item in the corner of its L; measured in docs/benchmarks.md, "Items on a
    table": with the boxes' gap, items laid with no gap between their boxes were found 0.852 of
    the time, 0.961 with the outlines')."""
    count = len(pieces)
    group = list(range(count))

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i, j in itertools.combinations(range(count), 2):
        a, b = pieces[i].box, pieces[j].box
        reach = ratio * min(a.x1 - a.x0, a.y1 - a.y0, b.x1 - b.x0, b.y1 - b.y0)
        if box_gap(a, b) > reach:
            continue
        if _shared(a, b) >= overlap or outline_gap(pieces[i], pieces[j]) <= reach:
            group[root(i)] = root(j)
    members: dict[int, list[ItemBox]] = {}
    for i, piece in enumerate(pieces):
        members.setdefault(root(i), []).append(piece.box)
    return reading_order([
        ItemBox(min(b.x0 for b in boxes), min(b.y0 for b in boxes),
                max(b.x1 for b in boxes), max(b.y1 for b in boxes))
        for boxes in members.values()
    ])  # fmt: skip


def outline_gap(a: Piece, b: Piece) -> float:
    """Pixels between two pieces' regions at their nearest (0 where they touch)."""
    distance = cv2.distanceTransform((~a.region).astype(np.uint8), cv2.DIST_L2, 3)
    return float(distance[b.region].min())


def is_one_item(boxes: list[ItemBox], mask: np.ndarray, settings: FinderSettings) -> bool:
    """Whether the photo is of one item, whose box is then the whole photo (its answer is the
    photo's own): pieces that together fill much of the frame (an item, a pair of shoes), a
    large piece cut by the photo's edge (a close-up), an item reaching the border all round (the
    border shows it, not a surface), or only regions at the edge."""
    frame = mask.shape[0] * mask.shape[1]
    return (
        border_share(mask, settings.border) >= settings.full_frame_border
        or sum(box.area for box in boxes) >= settings.cover_share * frame
        or any(
            touches_edge(box, mask.shape)
            and box.area >= settings.edge_share * frame
            and not any(
                other.area >= settings.edge_rival * box.area
                for other in boxes
                if not touches_edge(other, mask.shape)
            )
            for box in boxes
        )
        or (bool(boxes) and all(touches_edge(box, mask.shape) for box in boxes))
    )


def touches_edge(box: ItemBox, shape: tuple[int, ...]) -> bool:
    """Whether the box reaches the image's edge (items laid apart on a table do not)."""
    height, width = shape[:2]
    return box.x0 == 0 or box.y0 == 0 or box.x1 == width or box.y1 == height


def scale_box(box: ItemBox, scale: float, size: tuple[int, int]) -> ItemBox:
    """A working-size box in pixels of the full photo (`size`: width, height)."""
    width, height = size
    return ItemBox(
        max(0, int(np.floor(box.x0 * scale))),
        max(0, int(np.floor(box.y0 * scale))),
        min(width, int(np.ceil(box.x1 * scale))),
        min(height, int(np.ceil(box.y1 * scale))),
    )


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def crops_of(image: Image.Image, boxes: Sequence[ItemBox], margin: float) -> list[Image.Image]:
    """Each item's crop with `margin` (share of its longer side) of surface round it."""
    return [image.crop(box.expanded(margin, image.size).as_tuple()) for box in boxes]


def border_distance(rgb: np.ndarray, strip: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's colour distance (OpenCV's 8-bit Lab, after a 1.5 px blur) to the median
    colour of the strip `strip` pixels wide round the image's edge, and the strip's own
    distances to it (how plain the edge is)."""
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (0, 0), 1.5), cv2.COLOR_RGB2LAB).astype(np.float32)
    sides = (lab[:strip], lab[-strip:], lab[:, :strip], lab[:, -strip:])
    edge = np.concatenate([side.reshape(-1, 3) for side in sides])
    colour = np.median(edge, axis=0)
    return np.sqrt(((lab - colour) ** 2).sum(2)), np.sqrt(((edge - colour) ** 2).sum(1))


def soften_surround(crop: Image.Image) -> Image.Image:
    """The item's crop as the model is given it: at most `SURROUND_SIDE` on its longer side, the
    surface round the item blurred (`SURROUND_BLUR`); unchanged but for its size where no item
    stands out from the crop's border."""
    rgb, _ = working_copy(np.asarray(crop.convert("RGB")), SURROUND_SIDE)
    shorter = min(rgb.shape[:2])
    distance, _ = border_distance(rgb, max(2, int(0.02 * shorter)))
    mask = (distance > SURROUND_DISTANCE).astype(np.uint8)
    side = max(3, int(0.02 * shorter) | 1)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((side, side), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count < 2:
        return Image.fromarray(rgb)
    item = fill_holes(labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])))
    item = cv2.dilate(item.astype(np.float32), np.ones((side, side), np.uint8))
    alpha = cv2.GaussianBlur(item, (0, 0), max(1.0, 0.005 * shorter))[..., None]
    # A blur this wide at a quarter of the size, then enlarged: within 2 levels of the blur at
    # full size, a twentieth of the time.
    size = (rgb.shape[1], rgb.shape[0])
    quarter = cv2.resize(rgb, (max(1, size[0] // 4), max(1, size[1] // 4)), cv2.INTER_AREA)
    quarter = cv2.GaussianBlur(quarter, (0, 0), SURROUND_BLUR * shorter / 4)
    surround = cv2.resize(quarter, size, interpolation=cv2.INTER_LINEAR).astype(np.float32)
    softened = alpha * rgb + (1 - alpha) * surround
    return Image.fromarray(np.clip(softened, 0, 255).astype(np.uint8))


def scale_to(box: ItemBox, factor: tuple[float, float], size: tuple[int, int]) -> ItemBox:
    """A box found on a reduced decode, in pixels of the full upright photo (`size`)."""
    fx, fy = factor
    width, height = size
    return ItemBox(
        max(0, int(box.x0 * fx)),
        max(0, int(box.y0 * fy)),
        min(width, round(box.x1 * fx)),
        min(height, round(box.y1 * fy)),
    )


def item_crop(
    image: Image.Image,
    box: ItemBox | Sequence[int],
    full_size: tuple[int, int] | None = None,
    margin: float = ITEM_MARGIN,
) -> Image.Image:
    """An item's crop as framed for the model (square, `margin` of surface round it; the model is
    given it with that surface blurred, `soften_surround`), from `image`, possibly a reduced
    decode of a photo of `full_size` whose pixels `box` is in."""
    full = full_size or image.size
    box = box if isinstance(box, ItemBox) else ItemBox(*box)
    reduced = scale_to(box, (image.width / full[0], image.height / full[1]), image.size)
    return image.crop(reduced.expanded(margin, image.size).as_tuple())
