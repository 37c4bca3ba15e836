"""The web app's former home, kept so `from wildlens.webapp import build_app, launch` still works.

The app lives in `wildlens.ui` (one module per tab).
"""

from wildlens.ui import AppState, build_app, launch

__all__ = ["AppState", "build_app", "launch"]
