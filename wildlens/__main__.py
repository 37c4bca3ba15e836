"""`python -m wildlens ...`: the same command line as the `wildlens` script."""

from wildlens.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
