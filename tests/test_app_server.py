"""The app served on a free localhost port, used through gradio_client and plain HTTP."""

import socket

import httpx
import pytest
from gradio_client import Client, handle_file

from model.predictor import Predictor
from wildlens.config import AppConfig
from wildlens.webapp import build_app, launch

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tiny_bundle):
    cfg = AppConfig(port=free_port(), max_file_size_mb=1)
    demo = build_app(Predictor.from_bundle(tiny_bundle, device="cpu"), cfg)
    _, url, _ = launch(demo, cfg, prevent_thread_lock=True, quiet=True)
    yield url
    demo.close()


def test_binds_to_localhost_by_default(server):
    assert AppConfig().host == "127.0.0.1"
    assert server.startswith("http://127.0.0.1:")


def test_classify_through_gradio_client(server, tiny_dataset):
    photo = next((tiny_dataset / "val" / "bone").glob("*.jpg"))
    client = Client(server, verbose=False)
    _, label, decision, card = client.predict(handle_file(str(photo)), api_name="/classify")
    assert {c["label"] for c in label["confidences"]} <= {
        "Bone",
        "Elephant ivory",
        "Rosewood (Dalbergia / Pterocarpus)",
    }
    assert abs(sum(c["confidence"] for c in label["confidences"]) - 1) < 1e-4
    assert "review" in decision.lower() or "identified" in decision.lower()
    assert "Taxon" in card


def test_over_limit_upload_is_refused(server):
    response = httpx.post(
        f"{server}gradio_api/upload",
        files={"files": ("big.jpg", b"\xff" * (2 * 1024 * 1024), "image/jpeg")},
    )
    assert response.status_code == 413


def test_files_outside_the_cache_are_not_served(server):
    assert httpx.get(f"{server}gradio_api/file=/etc/passwd").status_code == 403
