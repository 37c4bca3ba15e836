"""The app: header, language selector, and the Identify / Review / Batch / Workshop tabs; and its
hardened launch.

    demo = build_app(state)
    launch(demo, state.cfg)          # 127.0.0.1, size limit, bounded queue, accounts if any

Accounts (`wildlens.ui.access`): with a users file (`wildlens user add NAME role=...`) or the
single login from the environment, everyone signs in and the role decides the tabs and actions;
without any, on localhost, the app is one person's, as before accounts existed.

Hardening (see `launch`): localhost unless `host=` says otherwise, and then only with accounts (or
an explicit `allow_network_without_login=true`); passwords hashed in the users file, the single
login's from environment variables named in the config; an upload size limit; a bounded queue
and concurrency (training and batch runs one at a time); no extra served paths (no
`allowed_paths`; files handed to the browser are copied by Gradio into its own cache); Gradio's
cache cleaned on a schedule; no flagging (our audit log instead), no monitoring page, no run
history kept in browsers, no MCP server; internal errors are not sent to browsers
(`show_error=False`), only our own `gr.Error` messages. Deny by default: every handler is
wrapped with its rule from `wildlens.ui.rules.RULES`; every request passes the gate
(`wildlens.ui.gate`: sessions that end, sign-in throttle, cross-site refusals, upload budgets,
per-login downloads). docs/security.md has the threat model.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from wildlens.common.config_loader import ConfigError
from wildlens.ui import batch_tab, client, identify, render, review_tab, workshop_tab
from wildlens.ui.access import Access, Session, environment_login, throttle_of, users_path
from wildlens.ui.accounts import AccountError, UsersFile
from wildlens.ui.config import AppConfig
from wildlens.ui.gate import Budget, Gate, Policy
from wildlens.ui.i18n import LANGUAGE_NAMES, LANGUAGES, language_from_header, text
from wildlens.ui.relabel import Labels, merge, unique
from wildlens.ui.rules import Owners, Pages, guard
from wildlens.ui.sign_in import sign_in_middleware
from wildlens.ui.state import AppState

log = logging.getLogger("wildlens.app")

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
#demo-banner { border: 2px dashed #c62828; border-radius: 8px; padding: 6px 12px; }
#wl-font-warning { border: 3px solid #c62828; border-radius: 8px; padding: 8px 12px;
                   margin-bottom: 8px; background: #fdecea; color: #5c0e0e; font-weight: 600; }
#session { text-align: right; }
#identify button, button#identify { font-size: 1.25em; }
.wl-record table th { text-align: left; padding-right: 1em; }
#identify-layout { display: grid !important; grid-template-columns: minmax(280px, 1fr) 2fr;
                   grid-template-rows: auto auto 1fr; align-items: start;
                   grid-template-areas: "inputs answer" "inputs results" "record results"; }
#identify-inputs { grid-area: inputs; } #identify-answer { grid-area: answer; }
#identify-results { grid-area: results; } #identify-record { grid-area: record; }
#identify-results, #identify-inputs, #identify-record, #identify-answer {
  min-width: 0 !important; }
.wl-decision .wl-action { margin-top: .6em; font-weight: 600; font-size: 1.1em; }
.wl-decision, .wl-record { overflow-wrap: anywhere; }
/* Photos whole, captions whole: Gradio's gallery with height "auto" caps itself at 55% of the
   screen, scrolls inside, crops to squares and cuts captions to one line. */
.wl-photos .grid-wrap { max-height: none !important; min-height: 0 !important;
                        overflow: visible !important; }
.wl-photos .grid-container { grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)) !important;
                             grid-template-rows: none !important; grid-auto-rows: auto !important; }
.wl-photos .thumbnail-item { aspect-ratio: auto !important; height: auto !important;
                             display: flex; flex-direction: column; }
.wl-photos .thumbnail-item > img { width: 100% !important; height: auto !important;
                                   max-height: 75vh; object-fit: contain !important; }
.wl-photos .caption-label { position: static !important; max-width: 100% !important;
                            white-space: normal !important; overflow-wrap: anywhere;
                            text-overflow: clip !important; border: 0 !important;
                            opacity: 1 !important; }
/* The queue and a record's history fit the screen: a proportional font, and long values (case
   ids) wrap inside their cell; words break only where one is wider than its column. */
#queue .table-wrap *, #history .table-wrap * { font-family: var(--font) !important; }
#queue td *, #history td * { white-space: normal !important; overflow-wrap: break-word; }
/* Each photo's own result: a table on a wide screen, one block per photo on a phone; file names
   and hashes are not split by a narrow column. */
.wl-subheading { font-weight: 600; }
.wl-photo-table { width: 100%; border-collapse: collapse; font-size: .95em; }
.wl-photo-table th, .wl-photo-table td { text-align: left; vertical-align: top;
                                         border-bottom: 1px solid #ddd; padding: 4px 6px; }
.wl-photo-table .wl-name, .wl-photo-table code { white-space: nowrap; }
/* Items on a table: each item's number in its box's colour (blue, orange, purple: told apart
   with colour-blindness), its crop as the model saw it, its catalogue card folded. */
.wl-badge { display: inline-block; min-width: 1.6em; padding: 0 .3em; border-radius: 4px;
            text-align: center; font-weight: 800; color: #fff; }
.wl-items-table .wl-crop { width: 96px; height: 96px; object-fit: contain; background: #f3f3f3; }
.wl-items-table tr[data-decision="review"] .wl-badge { color: #000; }
.wl-card summary { cursor: pointer; color: var(--link-text-color, #1d4ed8); margin-top: .3em; }
.wl-card { font-size: .95em; }
.wl-legend { font-size: .9em; }
/* A failed event's reason is its toast, which stays until closed; Gradio's own red "Error"
   badge on each output says no more, and covered what the output showed (the save status). */
.wrap:has(> span.error) { display: none !important; }
/* A block's label never runs under its buttons (upload, clear, download, fullscreen). */
.block:has(> .icon-button-wrapper) > label[data-testid="block-label"] {
  max-width: calc(100% - 100px); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
/* Table headers break between words, never inside one ("Confid/ence"), and stay whole on
   phones; a table wider than the screen scrolls sideways. */
.table-wrap th .header, .table-wrap th .header-content span {
  word-break: keep-all !important; overflow-wrap: normal !important; hyphens: none; }
.table-wrap .virtual-table-viewport { overflow-x: auto !important; }
/* Lao has no spaces: a Lao header too long for its column breaks between letters. */
html[lang="lo"] .table-wrap th .header, html[lang="lo"] .table-wrap th .header-content span {
  overflow-wrap: anywhere !important; }
/* The same in the per-photo and per-item rows and the accordions' titles: a Lao phrase wider
   than a phone's column breaks between letters instead of running past the block's edge. */
html[lang="lo"] .wl-photo-table td, html[lang="lo"] .wl-photo-table th,
html[lang="lo"] .gr-accordion .label-wrap, html[lang="lo"] .gr-accordion .label-wrap span {
  overflow-wrap: anywhere; min-width: 0; }
@media (max-width: 768px) {
  #header { flex-direction: column; } #header > * { width: 100%; }
  #session { text-align: left; }
  .wl-photo-table thead { position: absolute; left: -10000px; }
  .wl-photo-table, .wl-photo-table tbody, .wl-photo-table tr, .wl-photo-table td {
    display: block; width: auto; }
  .wl-photo-table tr { border-bottom: 2px solid #ccc; padding: 4px 0; }
  .wl-photo-table td { border: 0; padding: 2px 0; }
  .wl-photo-table td::before { content: attr(data-label) ": "; font-weight: 600; }
  .wl-photo-table .wl-name { white-space: normal; overflow-wrap: anywhere; }
  /* Every column of the queue and the history on a phone's width. */
  #queue .table-wrap *, #history .table-wrap * { font-size: 12px !important; }
  #queue th, #queue td, #history th, #history td, #queue .cell-wrap, #history .cell-wrap {
    padding: 2px !important; }
  #identify-layout { grid-template-columns: 1fr; grid-template-rows: auto;
                     grid-template-areas: "inputs" "answer" "record" "results"; }
}
"""


@dataclass
class Page:
    """The app's components that its events read and write, as `_layout` built them."""

    language: gr.Radio
    session_line: gr.Markdown
    tabs: gr.Tabs
    identify: Any  # identify.IdentifyTab
    review: Any  # review_tab.ReviewTab
    role_tabs: list[tuple[Any, str]]  # (tab, the action that shows it)


def build_app(state: AppState, access: Access | None = None) -> gr.Blocks:
    """Every tab wired to `state`; queue limits applied (launch with `launch`).

    With accounts (`access.login_required`) the tabs a role may not use start hidden and the
    page shows them once it knows who signed in; the handlers check the role again.
    """
    cfg = state.cfg
    access = access or Access.from_config(cfg)
    labels = Labels(cfg.language)
    cleanup = (cfg.cache_cleanup_s, cfg.cache_max_age_s) if cfg.cache_cleanup_s > 0 else None
    with gr.Blocks(title="WildLens", analytics_enabled=False, delete_cache=cleanup) as demo:
        page = _layout(state, access, labels)
        _wire_language(page, state, access, labels)
        _wire_load(demo, page, state, access)
    demo.queue(default_concurrency_limit=cfg.concurrency, max_size=cfg.queue_size)
    policy = Policy(access, budget(cfg), cfg.session_idle_h * 3600, Owners(), Pages())
    demo.wildlens_policy = policy
    # Deny by default: every handler checked against its rule.
    guard(
        demo,
        access,
        policy.owners,
        policy.pages,
        (cfg.language, page.language),
        state.downloads.root,
    )
    return demo


def _layout(state: AppState, access: Access, labels: Labels) -> Page:
    """The header, the model lines and the four tabs (each tab lays out and wires itself)."""
    cfg = state.cfg
    locked = access.login_required
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
    session_line = gr.Markdown(visible=False, elem_id="session")
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
    # Tabs wrap onto a second row on phones instead of hiding behind a "more" menu.
    with gr.Tabs(overflow_behavior="wrap", elem_id="tabs") as tabs:
        with labels.make(gr.Tab, {"label": "tab.identify"}, id="identify"):
            identify_tab = identify.build(state, labels, language, access)
        review_item = labels.make(gr.Tab, {"label": "tab.review"}, id="review", visible=not locked)
        with review_item:
            review = review_tab.build(state, labels, language, access, review_item)
        batch_item = labels.make(gr.Tab, {"label": "tab.batch"}, id="batch", visible=not locked)
        with batch_item:
            batch_tab.build(state, labels, language, access)
        role_tabs = [(review_item, "review"), (batch_item, "batch")]
        if cfg.workshop:
            workshop_item = labels.make(
                gr.Tab, {"label": "tab.workshop"}, id="workshop", visible=not locked
            )
            with workshop_item:
                workshop_tab.build(state, labels, language, model_line, banner, access)
            role_tabs.append((workshop_item, "train"))
    labels.make(gr.Markdown, {"value": "app.footer"}, elem_id="footer-note")
    return Page(language, session_line, tabs, identify_tab, review, role_tabs)


def _wire_language(page: Page, state: AppState, access: Access, labels: Labels) -> None:
    """Changing the language re-labels every component and re-renders what the page shows."""
    identify_tab, review = page.identify, page.review
    language_inputs = [page.language, *identify_tab.inputs, *review.inputs, *labels.tables]
    language_outputs = unique(
        [*labels.components, *labels.tables, *identify_tab.results, *review.results]
    )

    def on_language(request: gr.Request, lang, *values):
        n_identify, n_review = len(identify_tab.inputs), len(review.inputs)
        pairs = [
            *labels.pairs(lang, values[n_identify + n_review :]),
            *identify_tab.rerender(state, lang, *values[:n_identify]),
        ]
        if access.session(request).may("review"):  # the queue only to those who review
            pairs += review.rerender(state, lang, *values[n_identify : n_identify + n_review])
        return merge(language_outputs, pairs)

    def on_session_line(lang, request: gr.Request):
        return session_markdown(access.session(request), lang)

    page.language.change(
        on_language,
        language_inputs,
        language_outputs,
        api_name="set_language",
        show_progress="hidden",  # every label changes: no spinner over the whole page
    )
    page.language.change(
        on_session_line,
        page.language,
        page.session_line,
        api_visibility="private",
        show_progress="hidden",
    )
    # Gradio's own words and the missing-font check follow the language (in the browser).
    page.language.change(None, page.language, None, js=client.SET_LANGUAGE)


def _wire_load(demo: gr.Blocks, page: Page, state: AppState, access: Access) -> None:
    """On page load: the language (from ?lang= or the browser), the caller's name, tabs and tab."""
    cfg = state.cfg

    def on_load(request: gr.Request):
        chosen = request.query_params.get("lang") if request else None
        if chosen not in LANGUAGE_NAMES:
            chosen = language_from_header(request.headers.get("accept-language"))
        chosen = chosen or cfg.language
        session = access.session(request)
        shown = [gr.update(visible=session.may(action)) for _, action in page.role_tabs]
        # An expert's work is the queue: open it there.
        first = (
            "review"
            if session.signed_in and not session.may("save") and session.may("review")
            else "identify"
        )
        return (
            chosen,
            session_markdown(session, chosen),
            *shown,
            gr.update(selected=first),
            *page.identify.for_session(session),
            *page.review.for_session(state, session, chosen),
        )

    demo.load(
        on_load,
        None,
        [
            page.language,
            page.session_line,
            *[tab for tab, _ in page.role_tabs],
            page.tabs,
            *page.identify.session_outputs,
            *page.review.session_outputs,
        ],
        api_visibility="private",
    ).then(None, page.language, None, js=client.SET_LANGUAGE)


def budget(cfg: AppConfig) -> Budget:
    mb = 1024 * 1024
    return Budget(
        request_bytes=cfg.max_request_mb * mb,
        request_files=cfg.max_request_files,
        session_bytes=cfg.max_session_mb * mb,
        session_files=cfg.max_session_files,
    )


def session_markdown(session: Session, language: str) -> dict[str, Any]:
    """The header line naming who is signed in (hidden without accounts)."""
    if not session.signed_in:
        return gr.update(value="", visible=False)
    role = text(language, "role." + session.role) if session.role else "-"
    line = text(language, "app.signed_in", name=session.name, role=role)
    return gr.update(value=line, visible=True)


def demo_banner(state: AppState, language: str) -> dict[str, Any]:
    """The warning shown while the active model is the demo one."""
    return {"value": text(language, "app.demo_banner"), "visible": state.model.bundle.is_demo}


def credentials(cfg: AppConfig) -> tuple[str, str] | None:
    """The single login from the environment variables the config names; None when neither is
    set."""
    return environment_login(cfg)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(cfg: AppConfig, login: tuple[str, str] | None) -> Access:
    """Refuse to serve the network without accounts (the users file, or the single login from
    the environment) unless the config says so explicitly; the app's Access."""
    try:
        access = Access(UsersFile(users_path(cfg)), login, throttle_of(cfg))
    except AccountError as error:
        raise ConfigError(str(error)) from None
    exposed = not is_loopback(cfg.host) and not access.login_required
    if exposed and not cfg.allow_network_without_login:
        raise ConfigError(
            f"host={cfg.host} exposes the app to the network: add accounts first (wildlens "
            f"user add NAME role=officer data_dir={cfg.data_dir}), or set "
            f"{cfg.auth_user_env} and {cfg.auth_password_env} for a single login (or "
            "allow_network_without_login=true)"
        )
    return access


def launch(demo: gr.Blocks, cfg: AppConfig, **kwargs: Any) -> Any:
    """Serve `demo` with every hardening setting; extra `kwargs` go to `gr.Blocks.launch`."""
    access = check_exposure(cfg, credentials(cfg))
    policy: Policy = demo.wildlens_policy
    if policy.access.login_required != access.login_required:
        raise ConfigError("accounts changed between building and launching the app: restart it")
    access = policy.access  # the one the handlers check, with its sign-in throttle
    if access.users.loose_permissions():
        log.warning(
            "%s can be read by other users of this computer: chmod 600 it", access.users.path
        )
    for warning in client.missing_fonts():
        log.warning("%s", warning)
    # Gradio's own sign-in page speaks English only: ours (`sign_in`) follows the language. The
    # greeting is for anything that still shows Gradio's.
    greeting = " · ".join(dict.fromkeys(text(lang, "app.login") for lang in LANGUAGES))
    # The gate (sessions, budgets, cross-site requests) sees every request first.
    middleware = [Middleware(Gate, policy=policy)]
    if access.login_required:
        middleware.append(sign_in_middleware(cfg.language))
    app_kwargs = dict(kwargs.pop("app_kwargs", None) or {})
    app_kwargs["middleware"] = [*middleware, *app_kwargs.get("middleware", [])]
    return demo.launch(
        server_name=cfg.host,
        server_port=cfg.port,
        auth=access.check if access.login_required else None,
        auth_message=greeting,
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
        js=client.page_script(),
        app_kwargs=app_kwargs,
        **kwargs,
    )
