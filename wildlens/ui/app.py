"""The app: header, language selector, and the Identify / Review / Batch / Workshop tabs; and its
hardened launch.

    demo = build_app(state)
    launch(demo, state.cfg)          # 127.0.0.1, size limit, bounded queue, optional login

Hardening (see `launch`): localhost unless `host=` says otherwise, and then only with a login (or
an explicit `allow_network_without_login=true`); login credentials from environment variables
named in the config; an upload size limit; a bounded queue and concurrency (training and batch
runs one at a time); no extra served paths (no `allowed_paths`; files handed to the browser are
copied by Gradio into its own cache); Gradio's cache cleaned on a schedule; no flagging (our
audit log instead), no monitoring page, no run history kept in browsers, no MCP server;
internal errors are not sent to browsers (`show_error=False`), only our own `gr.Error` messages.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any

import gradio as gr

from wildlens.data.config import ConfigError
from wildlens.ui import batch_tab, identify, render, review_tab, workshop_tab
from wildlens.ui.config import AppConfig
from wildlens.ui.i18n import LANGUAGE_NAMES, language_from_header, text
from wildlens.ui.labels import Labels
from wildlens.ui.state import AppState

CSS = """
.wl-decision { border-radius: 10px; padding: 14px 18px; border: 3px solid #888; }
.wl-decision .wl-word { font-size: 2.1em; font-weight: 800; line-height: 1.15;
                        text-transform: uppercase; }
.wl-decision .wl-line { font-size: 1.2em; margin-top: .4em; }
.wl-decision ul { margin: .5em 0 0 1.2em; font-size: 1.05em; }
.wl-decision .wl-shortlist, .wl-decision .wl-note { margin-top: .5em; }
.wl-identified { border-color: #1f8a2b; background: #eaf7ec; color: #0d3d14; }
.wl-review { border-color: #d48806; background: #fff6e0; color: #4d3300; }
.wl-unknown { border-color: #c62828; background: #fdecea; color: #5c0e0e; }
.wl-shift { margin-top: 8px; padding: 8px 12px; border: 2px solid #c62828; border-radius: 8px;
            background: #fdecea; color: #5c0e0e; font-weight: 600; }
.wl-shift-ok { margin-top: 6px; color: #555; font-size: .9em; }
#demo-banner { border: 2px dashed #c62828; border-radius: 8px; padding: 6px 12px; }
#identify button, button#identify { font-size: 1.25em; }
.wl-record table th { text-align: left; padding-right: 1em; }
#identify-layout { display: grid !important; grid-template-columns: minmax(280px, 1fr) 2fr;
                   grid-template-rows: auto 1fr; align-items: start;
                   grid-template-areas: "inputs results" "record results"; }
#identify-inputs { grid-area: inputs; } #identify-results { grid-area: results; }
#identify-record { grid-area: record; }
@media (max-width: 768px) {
  #header { flex-direction: column; } #header > * { width: 100%; }
  #identify-layout { grid-template-columns: 1fr; grid-template-rows: auto;
                     grid-template-areas: "inputs" "results" "record"; }
}
"""


def build_app(state: AppState) -> gr.Blocks:
    """Every tab wired to `state`; queue limits applied (launch with `launch`)."""
    cfg = state.cfg
    labels = Labels(cfg.language)
    cleanup = (cfg.cache_cleanup_s, cfg.cache_max_age_s) if cfg.cache_cleanup_s > 0 else None
    with gr.Blocks(title="WildLens", analytics_enabled=False, delete_cache=cleanup) as demo:
        with gr.Row(equal_height=True, elem_id="header"):  # stacked on phones (CSS)
            labels.make(gr.Markdown, {"value": "app.title"}, elem_id="title")
            language = gr.Radio(
                choices=[(name, code) for code, name in LANGUAGE_NAMES.items()],
                value=cfg.language,
                label="Language · 语言 · ພາສາ",
                elem_id="language",
                scale=0,
                min_width=260,
            )
        # Both follow the active model, which the workshop can switch.
        banner = labels.dynamic(
            gr.Markdown(
                text(cfg.language, "app.demo_banner"),
                visible=state.model.bundle.is_demo,
                elem_id="demo-banner",
            ),
            lambda lang: demo_banner(state, lang),
        )
        model_line = labels.dynamic(
            gr.Markdown(render.model_line(state.model.bundle, cfg.language)),
            lambda lang: {"value": render.model_line(state.model.bundle, lang)},
        )
        with labels.make(gr.Tab, {"label": "tab.identify"}, id="identify"):
            identify_tab = identify.build(state, labels, language)
        with labels.make(gr.Tab, {"label": "tab.review"}, id="review"):
            review_tab.build(state, labels, language)
        with labels.make(gr.Tab, {"label": "tab.batch"}, id="batch"):
            batch_tab.build(state, labels, language)
        if cfg.workshop:
            with labels.make(gr.Tab, {"label": "tab.workshop"}, id="workshop"):
                workshop_tab.build(state, labels, language, model_line, banner)
        labels.make(gr.Markdown, {"value": "app.footer"}, elem_id="footer-note")

        def on_language(lang, analysis):
            return [*labels.updates(lang), *identify_tab.rerender(state, analysis, lang)]

        def on_load(request: gr.Request):
            chosen = request.query_params.get("lang") if request else None
            if chosen not in LANGUAGE_NAMES:
                chosen = language_from_header(request.headers.get("accept-language"))
            return chosen or cfg.language

        language.change(
            on_language,
            [language, identify_tab.analysis],
            [*labels.components, *identify_tab.results],
            api_name="set_language",
        )
        demo.load(on_load, None, language, api_visibility="private")
    demo.queue(default_concurrency_limit=cfg.concurrency, max_size=cfg.queue_size)
    return demo


def demo_banner(state: AppState, language: str) -> dict[str, Any]:
    """The warning shown while the active model is the demo one."""
    return {"value": text(language, "app.demo_banner"), "visible": state.model.bundle.is_demo}


def credentials(cfg: AppConfig) -> tuple[str, str] | None:
    """The login from the environment variables the config names; None when neither is set."""
    user = os.environ.get(cfg.auth_user_env, "") if cfg.auth_user_env else ""
    password = os.environ.get(cfg.auth_password_env, "") if cfg.auth_password_env else ""
    if bool(user) != bool(password):
        raise ConfigError(
            f"set both {cfg.auth_user_env} and {cfg.auth_password_env} for a login, or neither"
        )
    return (user, password) if user else None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(cfg: AppConfig, login: tuple[str, str] | None) -> None:
    """Refuse to serve the network without a login unless the config says so explicitly."""
    if not is_loopback(cfg.host) and login is None and not cfg.allow_network_without_login:
        raise ConfigError(
            f"host={cfg.host} exposes the app to the network: set {cfg.auth_user_env} and "
            f"{cfg.auth_password_env} for a login (or allow_network_without_login=true)"
        )


def launch(demo: gr.Blocks, cfg: AppConfig, **kwargs: Any) -> Any:
    """Serve `demo` with every hardening setting; extra `kwargs` go to `gr.Blocks.launch`."""
    login = credentials(cfg)
    check_exposure(cfg, login)
    return demo.launch(
        server_name=cfg.host,
        server_port=cfg.port,
        auth=login,
        auth_message=text(cfg.language, "app.login"),
        max_file_size=cfg.max_file_size_mb * gr.FileSize.MB,
        show_error=False,
        enable_monitoring=False,
        run_history=False,
        mcp_server=False,
        pwa=False,
        ssr_mode=False,
        strict_cors=True,
        footer_links=["api"],
        css=CSS,
        **kwargs,
    )
