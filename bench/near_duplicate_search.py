"""Near-duplicate candidate search at archive scale: the index against the exhaustive search.

    python bench/near_duplicate_search.py [DATA]   (default ../shared/datasets/clothing-small)
    python bench/near_duplicate_search.py --faiss 20000   (also faiss's binary indexes)

`candidate_pairs` (`data.duplicates`) finds the photo pairs whose full pHash is within 10 bits
of the other's full or cropped hash through a multi-index hash; the exhaustive search it
replaced (`exhaustive_pairs` below, the code as it was) compares every full hash with every
hash. Both run on:
- the photos of DATA (clothing-small: 3,781), then the same with 400 edited copies of 100 of
  them added (the four edits of bench/near_duplicates.py), then bench/near_duplicates.py's 300
  synthetic small objects with 400 copies: the pairs must be the same;
- an archive-sized set: DATA's photos plus perturbed copies of them up to 100,000 (each copy
  is a random photo's ten hashes with one random set of 4-16 bits flipped, the same in all
  ten, never the top bit, which pHash always sets), so that the hashes crowd as real ones do;
  the 4-16 range gives about as many candidate pairs per photo as DATA has. The exhaustive
  search runs at the smaller sizes only (`--exhaustive-up-to`), and its time at the others is
  extrapolated as a * n^2 fitted to those runs.
Wall and CPU seconds are both printed: on a shared machine the wall time depends on the load.
The tables are saved through `bench/results.py` (`--results`, default docs/results) as
duplicate-search-sets and duplicate-search-archive (with other `--sizes`:
duplicate-search-archive-SIZES).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from PIL import Image

import wildlens  # noqa: F401  (offline defaults)
from bench.near_duplicates import EDITS, signature, synthetic_objects
from bench.results import RESULTS, publish
from wildlens.data.near_duplicates import CANDIDATE_DISTANCE, Signature, candidate_pairs
from wildlens.data.sources import list_images

FLIPS = (4, 16)  # bits flipped in a perturbed copy, uniform in this range
SIZES = "10000,20000,40000,100000"  # archive sizes by default


def exhaustive_pairs(signatures: Sequence[Signature | None]) -> list[tuple[int, int]]:
    """The exhaustive search that `candidate_pairs` replaced, unchanged."""
    index = np.array([i for i, s in enumerate(signatures) if s is not None], dtype=np.int64)
    if len(index) < 2:
        return []
    table = np.array([signatures[i].hashes for i in index], dtype=np.uint64)  # (n, 10)
    full = table[:, 0]
    pairs = set()
    for start in range(0, len(index), 512):
        block = table[start : start + 512]
        # Each block row's full hash against all hashes, and its crops against all full hashes.
        near = (
            np.bitwise_count(block[:, :1, None] ^ table.T[None, :, :]) <= CANDIDATE_DISTANCE
        ).any(1)
        near |= (
            np.bitwise_count(block[:, 1:, None] ^ full[None, None, :]) <= CANDIDATE_DISTANCE
        ).any(1)
        for row, col in zip(*np.nonzero(near), strict=True):
            i, j = int(index[start + row]), int(index[col])
            if i != j:
                pairs.add((min(i, j), max(i, j)))
    return sorted(pairs)


def timed(function: Callable, *args) -> tuple[object, float, float]:
    """The result, wall seconds and CPU seconds (this process, all threads) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def hashes_only(table: np.ndarray) -> list[Signature]:
    """Signatures carrying only hashes (all that the candidate search reads)."""
    points, descriptors = np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8)
    return [Signature(tuple(row.tolist()), points, descriptors, None) for row in table]


def archive(real: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """(count, 10) hashes: the real ones, then perturbed copies of random ones (module doc)."""
    rng = np.random.default_rng(seed)
    extra = max(count - len(real), 0)
    source = rng.integers(len(real), size=extra)
    flips = rng.integers(FLIPS[0], FLIPS[1] + 1, size=extra)
    # `flips` random bits of 0-62 per copy: the positions of its `flips` smallest random keys.
    chosen = rng.random((extra, 63)).argsort(axis=1).argsort(axis=1) < flips[:, None]
    masks = (chosen.astype(np.uint64) << np.arange(63, dtype=np.uint64)).sum(1, dtype=np.uint64)
    return np.concatenate([real, real[source] ^ masks[:, None]])[:count]


def compare(name: str, signatures: Sequence[Signature | None]) -> list[str]:
    """One row of the sets table: the index and the exhaustive search on `signatures`."""
    new, new_wall, new_cpu = timed(candidate_pairs, signatures)
    old, old_wall, old_cpu = timed(exhaustive_pairs, signatures)
    row = [
        name,
        f"{len(signatures):,}",
        f"{len(new):,}",
        f"{new_wall:.2f} / {new_cpu:.2f}",
        f"{old_wall:.2f} / {old_cpu:.2f}",
        "yes" if new == old else "NO",
    ]
    print("| " + " | ".join(row) + " |", flush=True)
    return row


def faiss_search(table: np.ndarray, kind: str) -> list[tuple[int, int]]:
    """The same pairs through faiss: every full hash against all hashes, range search."""
    import faiss

    n, per_photo = table.shape
    if kind == "multihash":
        # 4 tables of 16 bits searched within 2 flips each: exact at 10 bits (4 x 3 > 10). Codes
        # padded to 128 bits: faiss reads 8 bytes from each table's first byte.
        index = faiss.IndexBinaryMultiHash(128, 4, 16)
        index.nflip = 2
        width = 16
    else:
        index, width = faiss.IndexBinaryFlat(64), 8

    def codes(values: np.ndarray) -> np.ndarray:
        out = np.zeros((len(values), width), np.uint8)
        out[:, :8] = values.astype("<u8").view(np.uint8).reshape(-1, 8)
        return out

    index.add(codes(table.ravel()))
    limits, _, found = index.range_search(codes(table[:, 0]), CANDIDATE_DISTANCE + 1)  # d < r
    rows = np.repeat(np.arange(n), np.diff(limits).astype(np.int64))
    cols = found // per_photo
    other = rows != cols
    codes_ = np.unique(np.minimum(rows, cols)[other] * n + np.maximum(rows, cols)[other])
    return [(int(a), int(b)) for a, b in zip(*np.divmod(codes_, n), strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", default="../shared/datasets/clothing-small")
    parser.add_argument("--sizes", default=SIZES, help="archive sizes")
    parser.add_argument("--exhaustive-up-to", type=int, default=40000, help="largest size")
    parser.add_argument("--faiss", type=int, default=0, help="also time faiss at this size")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()
    command = shlex.join(["python", "bench/near_duplicate_search.py", *sys.argv[1:]])
    load_start = os.getloadavg()[0]
    print(f"load average at start: {load_start:.1f} on {os.cpu_count()} CPUs")
    data = Path(args.data)
    paths = list_images(data)
    signatures, wall, cpu = timed(lambda: [signature(p) for p in paths])
    print(f"{data}: {len(paths):,} photos signed in {wall:.0f} s ({cpu:.0f} s CPU)\n")

    print(
        "| set | photos | candidate pairs | index: wall / CPU s | exhaustive: wall / CPU s "
        "| same pairs |\n|---|---:|---:|---:|---:|---|"
    )
    sets = [compare(f"{data.name}", signatures)]
    # 100 photos, four edited copies each, signed from the edited JPEG bytes as a user's would be.
    picked = random.Random(0).sample(range(len(paths)), 100)
    copies = [
        signature(edit(Image.open(paths[i]).convert("RGB")))
        for edit in EDITS.values()
        for i in picked
    ]
    sets.append(compare(f"{data.name} + 400 edited copies", signatures + copies))
    photos = synthetic_objects()
    objects = [signature(photo) for photo in photos]
    copies = [
        signature(edit(Image.open(io.BytesIO(photos[i])).convert("RGB")))
        for edit in EDITS.values()
        for i in random.Random(0).sample(range(len(photos)), 100)
    ]
    sets.append(compare("synthetic objects + 400 edited copies", objects + copies))
    same = all(row[-1] == "yes" for row in sets)
    set_columns = [
        "set",
        "photos",
        "candidate pairs",
        "index: wall / CPU s",
        "exhaustive: wall / CPU s",
        "same pairs",
    ]

    real = np.array([s.hashes for s in signatures if s is not None], dtype=np.uint64)
    print(f"\narchive: {data.name}'s {len(real):,} photos plus copies with {FLIPS} bits flipped")
    print(
        "| photos | candidate pairs | per photo | index: wall / CPU s | exhaustive: wall / CPU s "
        "| same pairs |\n|---:|---:|---:|---:|---:|---|"
    )
    sizes = [int(size) for size in args.sizes.split(",")]
    fitted: list[tuple[int, float, float]] = []
    rows, faiss_notes = [], []
    for size in sizes:
        table = archive(real, size)
        archived = hashes_only(table)
        new, new_wall, new_cpu = timed(candidate_pairs, archived)
        if size <= args.exhaustive_up_to:
            old, old_wall, old_cpu = timed(exhaustive_pairs, archived)
            fitted.append((size, old_wall, old_cpu))
            same &= new == old
            old_cells = [f"{old_wall:.1f} / {old_cpu:.1f}", "yes" if new == old else "NO"]
        elif not fitted:
            old_cells = ["not run", "-"]
        else:
            n = np.array([f[0] for f in fitted], float) ** 2
            wall_fit = (n @ [f[1] for f in fitted]) / (n @ n) * size**2
            cpu_fit = (n @ [f[2] for f in fitted]) / (n @ n) * size**2
            old_cells = [f"{wall_fit:,.0f} / {cpu_fit:,.0f} (extrapolated: a * n^2)", "-"]
        row = [
            f"{size:,}",
            f"{len(new):,}",
            f"{2 * len(new) / size:.2f}",
            f"{new_wall:.1f} / {new_cpu:.1f}",
            *old_cells,
        ]
        rows.append(row)
        print("| " + " | ".join(row) + " |", flush=True)
        if size == args.faiss:
            for kind in ("multihash", "flat"):
                pairs, wall, cpu = timed(faiss_search, table, kind)
                text = (
                    f"faiss {kind} at {size:,}: {wall:.1f} s wall / {cpu:.1f} s CPU, "
                    f"same pairs: {'yes' if pairs == new else 'NO'}"
                )
                faiss_notes.append(text)
                print("  " + text, flush=True)
    print(f"\nall the same as the exhaustive search: {'yes' if same else 'NO'}")
    load_end = os.getloadavg()[0]
    print(f"load average at end: {load_end:.1f}")
    load = f"Load average {load_start:.1f} at the start, {load_end:.1f} at the end."
    publish("duplicate-search-sets", command, set_columns, sets, load, args.results)
    publish(
        "duplicate-search-archive"
        + ("" if args.sizes == SIZES else "-" + "-".join(map(str, sizes))),
        command,
        [
            "photos",
            "candidate pairs",
            "per photo",
            "index: wall / CPU s",
            "exhaustive: wall / CPU s",
            "same pairs",
        ],
        rows,
        " ".join(
            [
                f"{data.name}'s {len(real):,} photos plus copies with {FLIPS} bits flipped.",
                *(f"{note}." for note in faiss_notes),
                load,
            ]
        ),
        args.results,
    )


if __name__ == "__main__":
    main()
