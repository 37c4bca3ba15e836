"""Content-addressed photo files: each photo is stored once, named by the sha256 of its bytes.

    photos = PhotoFiles(Path("runs/app/photos"))
    relative = photos.put(data, sha256, "JPEG")     # ab/ab12...ef.jpg, written atomically
    data = photos.read(relative, sha256)             # the bytes, checked against the hash

The uploaded file name is never part of the path, so two photos called IMG_0001.jpg from two
phones can never overwrite or be mistaken for each other, and the stored bytes are the original
ones (never re-encoded): what the officer photographed is what an expert or a court sees.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from wildlens.common.files import write_atomically

EXTENSIONS = {
    "JPEG": ".jpg",
    "PNG": ".png",
    "WEBP": ".webp",
    "TIFF": ".tif",
    "BMP": ".bmp",
    "GIF": ".gif",
    "HEIF": ".heic",
}


class PhotoError(ValueError):
    """A photo file that is missing or whose bytes no longer match its sha256."""


class PhotoFiles:
    def __init__(self, root: Path):
        self.root = Path(root)

    def relative_path(self, sha256: str, image_format: str) -> str:
        return f"{sha256[:2]}/{sha256}{EXTENSIONS.get(image_format.upper(), '.bin')}"

    def put(self, data: bytes, sha256: str, image_format: str) -> str:
        """Store `data` (whose sha256 must be `sha256`); returns its path relative to the root."""
        if hashlib.sha256(data).hexdigest() != sha256:
            raise PhotoError(f"the bytes given for photo {sha256[:12]}... have another sha256")
        relative = self.relative_path(sha256, image_format)
        target = self.root / relative
        if not (target.is_file() and _sha256_of(target) == sha256):
            write_atomically(target, data)  # new, or replacing a damaged copy with the original
        return relative

    def path(self, relative: str) -> Path:
        """The file of a stored photo (refuses paths that leave the photo folder)."""
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise PhotoError(f"photo path {relative!r} leaves the photo folder")
        return path

    def read(self, relative: str, sha256: str) -> bytes:
        """The stored bytes, verified against `sha256`."""
        path = self.path(relative)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise PhotoError(f"photo {sha256[:12]}... is missing ({error.strerror})") from error
        if hashlib.sha256(data).hexdigest() != sha256:
            raise PhotoError(f"photo {sha256[:12]}... has been altered: its sha256 differs")
        return data


def _sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
