"""Entry point: `python app.py key=value ...` (see `python app.py --help`)."""

from wildlens.cli import app_main

if __name__ == "__main__":
    raise SystemExit(app_main())
