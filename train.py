"""Entry point: `python train.py key=value ...` (see `python train.py --help`)."""

from wildlens.cli import train_main

if __name__ == "__main__":
    raise SystemExit(train_main())
