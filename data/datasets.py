"""Torch datasets and loaders of labelled photos, decoded by `load_image`, transformed by
albumentations.

Augmentation is seeded per photo and epoch (`SeededOrder` hands each index its own seed), so a
batch's pixels do not depend on how many decode workers there are or which one took the photo,
and a resumed run repeats an uninterrupted one. Decode workers are spawned, not forked, and kept
for the whole run: a worker forked from a process whose thread pools have run torch ops can hang
forever (seen here: full-mode training froze at its second fork).

    loader = photo_loader(ImageDataset(samples, class_ids, transform), batch_size=32, workers=2,
                          order=SeededOrder(sampler, seed=0))
    order.set_epoch(epoch)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import albumentations as A
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from wildlens.data.images import ImageError, load_image
from wildlens.data.sources import Sample
from wildlens.data.transforms import apply


class ImageDataset(Dataset):
    """(image tensor, class index) pairs; a sample of a class not in `class_ids` gets -1.

    Indexed by an int, or by `(index, seed)` to seed the transform for that one photo.
    """

    def __init__(
        self,
        samples: Sequence[Sample],
        class_ids: Sequence[str],
        transform: A.Compose,
        decode_size: int | None = None,
    ):
        self.samples = list(samples)
        self.index = {class_id: i for i, class_id in enumerate(class_ids)}
        self.transform = transform
        self.decode_size = decode_size  # reduced JPEG decoding down to this size, if given

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, item: int | tuple[int, int]) -> tuple[torch.Tensor, int]:
        i, seed = item if isinstance(item, tuple) else (item, None)
        sample = self.samples[i]
        try:
            loaded = load_image(sample.source, target_size=self.decode_size)
        except ImageError as error:
            raise ImageError(error.code, f"{sample.key}: {error.message}") from error
        if seed is not None:
            self.transform.set_random_seed(seed)
        return apply(self.transform, loaded.image), self.index.get(sample.label, -1)


class SeededOrder(Sampler):
    """Wraps a sampler of indices; yields `(index, seed)` with a seed per (run seed, epoch,
    index), and re-seeds the wrapped sampler's generator for each epoch."""

    def __init__(self, sampler: Sampler, seed: int, generator: torch.Generator | None = None):
        self.sampler, self.seed, self.generator = sampler, seed, generator
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        if self.generator is not None:
            self.generator.manual_seed(self.seed * 10_007 + epoch)
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for index in self.sampler:
            text = f"{self.seed}/{self.epoch}/{int(index)}".encode()
            yield int(index), int.from_bytes(hashlib.sha256(text).digest()[:4], "little")

    def __len__(self) -> int:
        return len(self.sampler)


def _init_worker(_: int) -> None:
    """One thread per decode worker: the cores belong to the model."""
    import cv2

    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def photo_loader(
    dataset: ImageDataset,
    batch_size: int,
    workers: int,
    order: Sampler | None = None,
    drop_last: bool = False,
) -> DataLoader:
    """A loader in `order` (default: dataset order) with spawned, persistent decode workers."""
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=order,
        num_workers=workers,
        multiprocessing_context="spawn" if workers else None,
        persistent_workers=workers > 0,
        worker_init_fn=_init_worker if workers else None,
        drop_last=drop_last,
    )
