"""A torch Dataset of labelled photos, decoded by `load_image` and transformed by albumentations."""

from __future__ import annotations

from collections.abc import Sequence

import albumentations as A
import torch
from torch.utils.data import Dataset

from data.images import ImageError, load_image
from data.sources import Sample
from data.transforms import apply


class ImageDataset(Dataset):
    """(image tensor, class index) pairs; a sample of a class not in `class_ids` gets -1."""

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

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        sample = self.samples[i]
        try:
            loaded = load_image(sample.source, target_size=self.decode_size)
        except ImageError as error:
            raise ImageError(error.code, f"{sample.key}: {error.message}") from error
        return apply(self.transform, loaded.image), self.index.get(sample.label, -1)
