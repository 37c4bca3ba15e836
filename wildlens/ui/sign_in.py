"""The sign-in page in the page's language (English, Chinese, Lao).

Gradio's own sign-in page is drawn by its frontend from a minimal config that carries none of the
app's scripts, styles or translations: it is English whatever the language ("Login",
"username", "Incorrect Credentials") and clears the user name after a wrong password. So the
app's front page, for a browser that is not signed in, is this one instead (an ASGI middleware,
`SignInPage`, in front of Gradio's routes):

    launch(..., app_kwargs={"middleware": [sign_in_middleware(cfg.language)]})

Checking the password stays Gradio's: the form posts to Gradio's `/login` (the same check, the
same cookie, the same answer for an unknown user and for a wrong password), with a same-origin
`fetch`, so this page changes what people read, not what the server accepts. The page allows
no framing and runs only its own script (a per-response nonce in its Content-Security-Policy).
"""

from __future__ import annotations

import html
import json
import secrets
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse

from wildlens.ui.i18n import LANGUAGE_NAMES, LANGUAGES, language_from_header, text

FRONT_PAGE = ("/", "")


def signed_in(app: Any, request: Request) -> bool:
    """Whether the request carries one of Gradio's live sign-in tokens."""
    cookie_id = getattr(app, "cookie_id", None)
    if cookie_id is None:
        return False
    token = request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(
        f"access-token-unsecure-{cookie_id}"
    )
    return bool(token) and token in getattr(app, "tokens", {})


def page_language(request: Request, default: str) -> str:
    """?lang= first, then the browser's languages, then the app's default."""
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return language_from_header(request.headers.get("accept-language")) or default


def sign_in_html(language: str, nonce: str) -> str:
    """The page: a title, the language links, user name, password, the button, and a line for
    the refusal (in the page's language; the user name is kept)."""

    def t(key: str) -> str:
        return html.escape(text(language, key))

    links = " · ".join(
        f'<a href="?lang={code}" lang="{code}"'
        + (' aria-current="page"' if code == language else "")
        + f">{html.escape(name)}</a>"
        for code, name in LANGUAGE_NAMES.items()
    )
    messages = json.dumps(
        {
            "refused": text(language, "login.refused"),
            "failed": text(language, "login.failed"),
        },
        ensure_ascii=False,
    ).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="{ {"en": "en", "zh": "zh-Hans", "lo": "lo"}[language] }">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>WildLens · {t("login.title")}</title>
<style>
body {{ font-family: system-ui, "Noto Sans", "Noto Sans CJK SC", "Noto Sans Lao", sans-serif;
       margin: 0; background: #f6f6f4; color: #1a1a1a; }}
main {{ max-width: 420px; margin: 8vh auto; background: #fff; border: 1px solid #ddd;
       border-radius: 10px; padding: 24px; box-sizing: border-box; }}
h1 {{ margin: 0 0 4px; font-size: 1.6em; }} p {{ margin: 0 0 16px; }}
nav {{ margin-bottom: 18px; }} nav a {{ color: #c2410c; }}
nav a[aria-current] {{ font-weight: 700; }}
label {{ display: block; font-weight: 600; margin: 12px 0 4px; }}
input {{ width: 100%; box-sizing: border-box; font-size: 1.1em; padding: 8px 10px;
        border: 1px solid #bbb; border-radius: 6px; }}
button {{ margin-top: 18px; width: 100%; font-size: 1.15em; font-weight: 700; padding: 10px;
         border: 0; border-radius: 6px; background: #ea580c; color: #fff; cursor: pointer; }}
button:disabled {{ opacity: .6; }}
#refusal {{ margin-top: 14px; padding: 8px 12px; border: 2px solid #c62828; border-radius: 8px;
           background: #fdecea; color: #5c0e0e; font-weight: 600; }}
#refusal:empty {{ display: none; }}
@media (max-width: 480px) {{ main {{ margin: 0; border-radius: 0; min-height: 100vh; }} }}
</style></head>
<body><main>
<h1>WildLens</h1>
<p>{t("app.login")}</p>
<nav>{links}</nav>
<form id="sign-in" method="post" action="login" autocomplete="on">
<label for="username">{t("login.username")}</label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">{t("login.password")}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="sign-in-button" type="submit">{t("login.button")}</button>
<div id="refusal" role="alert" aria-live="assertive"></div>
</form>
</main>
<script nonce="{nonce}">
(() => {{
  const MESSAGES = {messages};
  const form = document.getElementById("sign-in");
  const refusal = document.getElementById("refusal");
  const button = document.getElementById("sign-in-button");
  form.addEventListener("submit", async (event) => {{
    event.preventDefault();
    button.disabled = true;
    try {{
      const response = await fetch("login", {{
        method: "POST", credentials: "same-origin",
        headers: {{ "Content-Type": "application/x-www-form-urlencoded" }},
        body: new URLSearchParams(new FormData(form)),
      }});
      if (response.ok) {{ window.location.reload(); return; }}
      // The user name stays; the password is cleared for the next try.
      refusal.textContent = response.status === 400 ? MESSAGES.refused : MESSAGES.failed;
      form.password.value = "";
      form.password.focus();
    }} catch (error) {{
      refusal.textContent = MESSAGES.failed;
    }} finally {{
      button.disabled = false;
    }}
  }});
}})();
</script>
</body></html>
"""


class SignInPage:
    """ASGI middleware: the front page of an app with accounts, for a browser not signed in, is
    the sign-in page in the page's language; every other request goes on to Gradio."""

    def __init__(self, app: Any, language: str = "en") -> None:
        self.app = app
        self.language = language

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        gradio_app = scope.get("app")
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope["path"] in FRONT_PAGE
            and getattr(gradio_app, "auth", None) is not None
        ):
            request = Request(scope)
            if not signed_in(gradio_app, request):
                nonce = secrets.token_urlsafe(16)
                language = page_language(request, self.language)
                response = HTMLResponse(
                    sign_in_html(language, nonce),
                    headers={
                        "Content-Security-Policy": (
                            f"default-src 'none'; script-src 'nonce-{nonce}'; "
                            "style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; "
                            "base-uri 'none'; frame-ancestors 'none'"
                        ),
                        "X-Frame-Options": "DENY",
                        "Cache-Control": "no-store",
                        "Referrer-Policy": "no-referrer",
                    },
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def sign_in_middleware(language: str) -> Middleware:
    """The middleware entry for `launch(app_kwargs={"middleware": [...]})`."""
    return Middleware(SignInPage, language=language)
