"""Batch tab: a zip of photos -> the CSV and summary of `infer.py`'s pipeline (the same code,
`wildlens.pipeline.batch.run_batch`, on the active model), kept under `<data_dir>/batch/`.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from wildlens.data.sources import DatasetError
from wildlens.model.trust.routing import UNKNOWN
from wildlens.pipeline.batch import run_batch
from wildlens.pipeline.config import InferConfig
from wildlens.pipeline.records import Outputs, RecordsError
from wildlens.ui import render
from wildlens.ui.access import Access, require
from wildlens.ui.errors import user_error
from wildlens.ui.i18n import text
from wildlens.ui.relabel import Labels, empty_table
from wildlens.ui.state import AppState

PREVIEW_ROWS = 200
PREVIEW_COLUMNS = ("path", "status", "decision", "label_1", "prob_1", "error_code")


def classify_archive(state: AppState, archive: str | None, language: str) -> tuple[Any, ...]:
    """(summary, [CSV, summary JSON], preview table) of one uploaded zip."""
    if not archive:
        raise user_error(text(language, "error.no_archive"))
    archive = Path(archive)
    if archive.suffix.lower() != ".zip":
        raise user_error(text(language, "error.not_a_zip"))
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:12]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = state.data_dir / "batch" / f"{stamp}-{digest}" / f"{archive.stem}.csv"
    model = state.model
    cfg = InferConfig(
        bundle=str(model.path),
        input=str(archive),
        out=str(out),
        top_k=state.cfg.top_k,
        progress=False,
        device=state.cfg.device,
    )
    try:
        summary = run_batch(cfg, log=lambda _: None)
    except (DatasetError, RecordsError) as error:
        raise user_error(str(error)) from error
    outputs = Outputs(out)
    files = [
        state.downloads.put(outputs.csv.name, outputs.csv.read_bytes()),
        state.downloads.put(outputs.summary.name, outputs.summary.read_bytes()),
    ]
    names = model.names(language)
    return summary_markdown(summary, names, language, out.parent), files, preview(outputs.csv)


def summary_markdown(
    summary: dict[str, Any], names: dict[str, str], language: str, folder: Path
) -> str:
    status = summary["status"]
    lines = [
        f"### {text(language, 'batch.done', count=summary['records'])}",
        "",
        f"- {text(language, 'batch.ok')}: {status.get('ok', 0)}",
        f"- {text(language, 'batch.failed')}: {status.get('failed', 0)}",
        f"- {text(language, 'batch.skipped')}: {status.get('skipped', 0)}",
        "",
        f"**{text(language, 'batch.decisions')}**",
        "",
    ]
    lines += [f"- {text(language, 'decision.' + d)}: {n}" for d, n in summary["decision"].items()]
    if summary.get("label"):
        lines += ["", f"**{text(language, 'batch.labels')}**", ""]
        lines += [
            f"- {render.label_name(c, names, language)}: {n}" for c, n in summary["label"].items()
        ]
    if summary.get("error_code"):
        lines += ["", f"**{text(language, 'batch.errors')}**", ""]
        lines += [f"- `{code}`: {n}" for code, n in summary["error_code"].items()]
    lines += ["", text(language, "batch.kept", folder=str(folder))]
    return "\n".join(lines)


def preview(path: Path) -> pd.DataFrame:
    """The first rows of the run's CSV; an unknown item's class and probability are not shown
    (it is no class), though the CSV keeps the model's output for audit."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))[:PREVIEW_ROWS]
    hidden = {"label_1", "prob_1"}
    return pd.DataFrame(
        [
            [
                "" if c in hidden and row.get("decision") == UNKNOWN else row.get(c, "")
                for c in PREVIEW_COLUMNS
            ]
            for row in rows
        ],
        columns=list(PREVIEW_COLUMNS),
    )


def build(state: AppState, labels: Labels, language: gr.Radio, access: Access) -> None:
    labels.make(gr.Markdown, {"value": "batch.help"})
    archive = labels.make(
        gr.File,
        {"label": "batch.archive"},
        file_types=[".zip"],
        type="filepath",
        elem_id="batch-archive",
    )
    run = labels.make(gr.Button, {"value": "batch.run"}, variant="primary")
    summary = gr.Markdown()
    files = labels.make(gr.File, {"label": "batch.downloads"}, file_count="multiple")
    # The preview's columns are the CSV's own (codes, the same in every language).
    table = labels.make(
        gr.Dataframe,
        {"label": "batch.preview"},
        value=empty_table(PREVIEW_COLUMNS),
        interactive=False,
    )

    def on_run(path, lang, request: gr.Request):
        require(access, request, "batch", lang)
        return classify_archive(state, path, lang)

    # One batch at a time: it takes the cores; identifications keep their own slots.
    run.click(
        on_run,
        [archive, language],
        [summary, files, table],
        api_name="batch",
        concurrency_limit=1,
        concurrency_id="batch",
    )
