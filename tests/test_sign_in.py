"""The sign-in page without a browser: the front page of an app with accounts, for whoever is not
signed in, in the page's language, refusing framing and foreign scripts (issue 26)."""

import re

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from wildlens.ui.i18n import text
from wildlens.ui.sign_in import sign_in_html, sign_in_middleware


def gradio_like(auth=lambda user, password: False) -> Starlette:
    """A stand-in for Gradio's app: its front page, its tokens and cookie name."""
    app = Starlette(
        routes=[Route("/", lambda request: PlainTextResponse("the app"))],
        middleware=[sign_in_middleware("en")],
    )
    app.auth, app.tokens, app.cookie_id = auth, {"good-token": "somchai"}, "abc"
    return app


def test_the_front_page_is_the_sign_in_page_in_the_pages_language():
    client = TestClient(gradio_like())
    for query, headers, language in (
        ("?lang=lo", {}, "lo"),
        ("", {"Accept-Language": "zh-CN,zh;q=0.9"}, "zh"),
        ("?lang=xx", {}, "en"),
    ):
        page = client.get("/" + query, headers=headers)
        assert page.status_code == 200 and 'id="password"' in page.text
        assert text(language, "login.username") in page.text
        assert text(language, "login.button") in page.text
        assert text(language, "login.refused") in page.text  # ready for a refusal
        nonce = re.search(r"script-src 'nonce-([^']+)'", page.headers["content-security-policy"])
        assert nonce and f'<script nonce="{nonce[1]}">' in page.text
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"


def test_a_signed_in_browser_and_an_app_without_accounts_get_the_app():
    client = TestClient(gradio_like())
    client.cookies.set("access-token-abc", "good-token")
    assert client.get("/").text == "the app"
    client.cookies.set("access-token-abc", "stale-token")
    assert "password" in client.get("/").text
    assert TestClient(gradio_like(auth=None)).get("/").text == "the app"


def test_the_page_escapes_and_keeps_the_user_name_after_a_refusal():
    page = sign_in_html("en", nonce="n0nce")
    assert 'form.password.value = ""' in page and "form.username.value" not in page
    assert "</script>" not in page.split('<script nonce="n0nce">', 1)[1].rsplit("</script>", 1)[0]
