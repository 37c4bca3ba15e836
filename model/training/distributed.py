"""Data-parallel training under torchrun: one process per GPU (or CPU process with gloo).

dist = Distributed.from_environment()    # single-process when WORLD_SIZE is unset or 1
model = dist.wrap(model)                 # DistributedDataParallel when distributed
if dist.is_main: ...                     # only rank 0 writes checkpoints and bundles
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as torch_dist


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    find_unused_parameters: bool = False  # needed when part of the model is frozen for a while

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def single(cls) -> Distributed:
        return cls()

    @classmethod
    def from_environment(cls, find_unused_parameters: bool = False) -> Distributed:
        """Join the process group torchrun describes (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_*)."""
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size <= 1:
            return cls(find_unused_parameters=find_unused_parameters)
        rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank)
        if not torch_dist.is_initialized():
            torch_dist.init_process_group(backend=backend)
        return cls(rank, world_size, local_rank, find_unused_parameters)

    def device(self, requested: torch.device) -> torch.device:
        """This process's device: its own GPU under torchrun."""
        if self.enabled and requested.type == "cuda":
            return torch.device("cuda", self.local_rank)
        return requested

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        if not self.enabled:
            return model
        device_ids = [self.local_rank] if next(model.parameters()).is_cuda else None
        return torch.nn.parallel.DistributedDataParallel(
            model, device_ids=device_ids, find_unused_parameters=self.find_unused_parameters
        )

    def barrier(self) -> None:
        if self.enabled:
            torch_dist.barrier()

    def close(self) -> None:
        if self.enabled and torch_dist.is_initialized():
            torch_dist.destroy_process_group()
