"""Entry point: `python infer.py key=value ...` (see `python infer.py --help`)."""

from wildlens.cli import infer_main

if __name__ == "__main__":
    raise SystemExit(infer_main())
