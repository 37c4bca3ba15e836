"""Workshop tab (trainers): labelled photos (a zip of class folders, or a dataset folder on this
computer) -> a fast-mode model with a progress bar -> per-class accuracy, confusion matrix and
mistakes -> try it at once; switch between the app's models.

Uploaded zips are copied into `<data_dir>/datasets/` through the archive reader (hostile members
refused, one wrapping folder such as `photos/` removed, so `photos/bone/1.jpg` reads as class
`bone`), which keeps the training data beside the model trained on it. Models go to
`<data_dir>/bundles/<name>-<time>/`; only those and the startup model can be switched to.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import gradio as gr
import pandas as pd
from PIL import Image

from wildlens.data.images import IMAGE_EXTENSIONS
from wildlens.data.sources import (
    DEFAULT_MAX_MEMBER_BYTES,
    SPLIT_NAMES,
    DatasetError,
    Skipped,
    iter_archive,
)
from wildlens.model.bundle.card import FEW_CLASSES
from wildlens.model.bundle.catalogue import CatalogueError
from wildlens.model.bundle.format import Bundle, BundleError
from wildlens.model.config import TrainConfig
from wildlens.model.network.backbones import WeightsError
from wildlens.ui import render
from wildlens.ui.access import Access, require
from wildlens.ui.errors import user_error
from wildlens.ui.i18n import text
from wildlens.ui.relabel import Labels
from wildlens.ui.state import STARTUP, AppState, limit_torch_threads

MISTAKES_SHOWN = 50
MB = 1024 * 1024


def dataset_choices(state: AppState) -> list[str]:
    """Folders and zip files in `<data_dir>/datasets/` (what "pick a dataset" offers)."""
    folder = state.datasets_dir
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() == ".zip")
    )


def bundle_choices(state: AppState, language: str) -> list[tuple[str, str]]:
    choices = []
    for choice in state.bundle_choices():
        label = f"{choice.name} · {choice.version}"
        if choice.key == STARTUP:
            label += f" ({text(language, 'workshop.startup_model')})"
        choices.append((label, choice.key))
    return choices


def copy_archive(
    archive: Path, target: Path, max_bytes: int, max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES
) -> int:
    """Copy the photos of a zip into a new zip at `target`, one member at a time, through the
    safe archive reader (as batch runs read theirs): memory holds one photo, the copy stops at
    `max_bytes` unpacked, and a member packed like a zip bomb refuses the whole archive. On any
    failure nothing is left at `target`.

    One folder wrapping everything (not a split name) is removed from the member names. Returns
    the number of photos copied.
    """
    if archive.suffix.lower() != ".zip":
        raise DatasetError("the workshop takes a .zip of class folders")
    try:
        with zipfile.ZipFile(archive) as source:
            names = [i.filename.replace("\\", "/") for i in source.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as error:
        raise DatasetError(f"{archive.name}: the archive is damaged ({error})") from None
    parts = [PurePosixPath(n).parts for n in names if _photo_name(n)]
    tops = {p[0] for p in parts if len(p) > 1}
    wrapped = (
        len(tops) == 1
        and all(len(p) > 2 for p in parts)
        and next(iter(tops)).lower() not in SPLIT_NAMES
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_suffix(".partial")
    copied = 0
    try:
        with zipfile.ZipFile(temp, "w", zipfile.ZIP_STORED) as out:
            for item in iter_archive(
                archive, max_member_bytes=max_member_bytes, max_archive_bytes=max_bytes
            ):
                if isinstance(item, Skipped):
                    if item.reason in ("too_compressed", "archive_budget_exceeded"):
                        raise DatasetError(
                            f"{archive.name}: {item.key} unpacks far beyond its packed size "
                            "(not a photo)"
                            if item.reason == "too_compressed"
                            else f"{archive.name} unpacks to more than {max_bytes // MB} MB of "
                            "photos: send a smaller dataset"
                        )
                    continue
                part = PurePosixPath(item.key).parts
                out.writestr("/".join(part[1:] if wrapped else part), item.source)
                copied += 1
        temp.replace(target)
    finally:
        temp.unlink(missing_ok=True)
    return copied


def _photo_name(name: str) -> bool:
    path = PurePosixPath(name)
    hidden = any(p.startswith(".") or p == "__MACOSX" for p in path.parts)
    return not hidden and path.suffix.lower() in IMAGE_EXTENSIONS


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-") or "workshop"


def training_source(
    state: AppState, archive: str | None, dataset: str | None, name: str, language: str
) -> Path:
    if archive:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = state.datasets_dir / f"{slug(name)}-{stamp}.zip"
        try:
            copy_archive(
                Path(archive),
                target,
                state.cfg.workshop_max_dataset_mb * MB,
                state.cfg.max_file_size_mb * MB,
            )
        except DatasetError as error:
            raise user_error(str(error)) from error
        return target
    if dataset:
        if dataset not in dataset_choices(state):  # only what the list offers: no other paths
            raise user_error(text(language, "error.no_dataset", name=dataset))
        return state.datasets_dir / dataset
    raise user_error(text(language, "error.no_training_photos"))


def train_model(
    state: AppState,
    archive: str | None,
    dataset: str | None,
    name: str,
    use_now: bool,
    language: str,
    progress: Any = None,
) -> tuple[Any, ...]:
    """Train in fast mode; (summary, per-class, confusion, mistakes, contact sheet, bundle key)."""
    from wildlens.model.workflows.train import (
        train,  # the training stack loads only when someone trains
    )

    limit_torch_threads(state.cfg.threads)

    name = (name or "").strip() or "workshop"
    if not state.training.acquire(blocking=False):
        raise user_error(text(language, "error.training_busy"))
    source = out = None
    try:
        source = training_source(state, archive, dataset, name, language)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        out = state.bundles_dir / f"{slug(name)}-{stamp}"
        cfg = TrainConfig(
            data=str(source),
            out=str(out),
            mode="fast",
            name=name,
            description=f"Workshop model trained in the app on {source.name}",
            image_size=state.cfg.workshop_image_size,
            fast_views=state.cfg.workshop_views,
            device=state.cfg.device,
        )
        log: list[str] = []

        def on_progress(stage: str, done: int, total: int) -> None:
            if progress is not None:
                progress((done, total), desc=text(language, "workshop.stage", stage=stage))

        started = time.monotonic()
        try:
            bundle = train(cfg, progress=False, log=log.append, on_progress=on_progress)
        except (DatasetError, CatalogueError, WeightsError, BundleError) as error:
            raise user_error(str(error)) from error
        seconds = time.monotonic() - started
    except BaseException:
        # Nothing left behind: the copied upload and the half-made model go.
        if archive and source is not None:
            source.unlink(missing_ok=True)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        state.training.release()
    if use_now:
        state.switch(out.name)
    return (*training_results(bundle, language, seconds), out.name)


def class_lines(rules: dict[str, Any], names: dict[str, str], language: str) -> list[str]:
    """What stops a class from being answered automatically: too few photos or too many
    confident mistakes, or the look-alike line (a class answered automatically only when surer
    than its look-alikes' photos ever were as it)."""
    lines = []
    for class_id, rule in rules.items():
        if rule["status"] in ("insufficient_calibration", "target_not_shown"):
            key = "workshop.photos_needed" if rule["photos_needed"] else "workshop.never_automatic"
            lines += ["", text(language, key, name=names[class_id], count=rule["photos_needed"])]
        elif rule.get("lookalike_photos"):  # absent in bundles from before the line
            count = rule["lookalike_photos"]
            lines += [
                "",
                text(language, "workshop.lookalike_line", name=names[class_id], count=count),
            ]
    return lines


def training_results(bundle: Bundle, language: str, seconds: float) -> tuple[Any, ...]:
    """What a trainer looks at after training: summary, tables, the worst mistakes."""
    catalogue = bundle.catalogue
    names = {c: catalogue[c].name(language) for c in bundle.class_ids}
    metrics = bundle.meta.metrics
    evaluation = metrics["evaluation"]["calibrated"]
    routing = metrics.get("routing", {})
    counts = bundle.meta.data["counts"]
    # Fast mode without test photos: measured on the photos the thresholds were fitted on.
    cross_fitted = metrics["evaluation"]["split"] == "train"
    lines = [
        "### "
        + text(
            language,
            "workshop.trained",
            name=bundle.name,
            version=bundle.version,
            photos=sum(counts.get("train", {}).values()),
            classes=len(bundle.class_ids),
            seconds=f"{seconds:.0f}",
        ),
        "",
        text(
            language,
            "workshop.scores_cross" if cross_fitted else "workshop.scores",
            photos=evaluation.get("num_images", 0),
            accuracy=f"{evaluation.get('accuracy', 0):.1%}",
            macro_f1=f"{evaluation.get('macro_f1', 0):.2f}",
        ),
        "",
        auto_accepted(routing, language, fitted_on=cross_fitted),
    ]
    policy = bundle.meta.routing
    if policy["pooled"]["status"] == "auto":
        lines += [
            "",
            text(
                language,
                "workshop.guarantee_approximate" if cross_fitted else "workshop.guarantee",
                confidence=f"{1 - policy['delta']:.0%}",
                target=f"{policy['pooled']['target_precision']:.0%}",
            ),
        ]
    rules = policy["classes"]
    lines += class_lines(rules, names, language)
    if len(rules) <= FEW_CLASSES:
        lines += ["", text(language, "workshop.few_classes", classes=len(rules))]
    lines += ["", text(language, "workshop.folder", folder=str(bundle.path))]

    per_class = pd.DataFrame(
        [
            [
                names[c],
                values["support"],
                f"{values['recall']:.0%}",
                f"{values['precision']:.0%}",
                text(language, "routing." + rules[c]["status"]),
            ]
            for c, values in evaluation.get("per_class", {}).items()
        ],
        columns=per_class_headers(language),
    )
    matrix = evaluation.get("confusion_matrix", [])
    labels = [names[c] for c in bundle.class_ids]
    confusion = pd.DataFrame(
        [[labels[i], *row] for i, row in enumerate(matrix)],
        columns=[text(language, "workshop.true_predicted"), *labels],
    )
    return "\n".join(lines), per_class, confusion, mistakes(bundle, names, language), sheet(bundle)


PER_CLASS_COLUMNS = ("class", "photos", "accuracy", "precision", "routing")
MISTAKE_COLUMNS = ("photo", "true", "predicted", "conf")


def auto_accepted(routing: dict[str, Any], language: str, fitted_on: bool = False) -> str:
    """How many photos would be answered automatically, and how often rightly, saying when they
    are the photos the thresholds were fitted on (`fitted_on`); when none would be, it says so
    (no precision of nothing: "right 0% of the time")."""
    precision = routing.get("accepted_precision")
    if not routing.get("coverage") or precision is None:
        return text(language, "workshop.none_automatic")
    return text(
        language,
        "workshop.auto_accepted_fitted" if fitted_on else "workshop.auto_accepted",
        value=f"{routing['coverage']:.0%}",
        precision=f"{precision:.0%}",
    )


def per_class_headers(language: str) -> list[str]:
    return [text(language, f"workshop.col_{c}") for c in PER_CLASS_COLUMNS]


def mistake_headers(language: str) -> list[str]:
    return [text(language, f"workshop.col_{c}") for c in MISTAKE_COLUMNS]


def confusion_headers(language: str) -> list[str]:
    """Before any training there are no classes: the corner heading alone."""
    return [text(language, "workshop.true_predicted")]


def mistakes(bundle: Bundle, names: dict[str, str], language: str) -> pd.DataFrame:
    """The held-out photos the model got wrong, most confident first."""
    path = bundle.path / "report" / "predictions.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    wrong = sorted(
        (r for r in rows if r["label"] != r["predicted"]),
        key=lambda r: -float(r["confidence"]),
    )[:MISTAKES_SHOWN]
    return pd.DataFrame(
        [
            [
                r["key"],
                names.get(r["label"], r["label"]),
                names.get(r["predicted"], r["predicted"]),
                f"{float(r['confidence']):.0%}",
            ]
            for r in wrong
        ],
        columns=mistake_headers(language),
    )


def sheet(bundle: Bundle) -> Image.Image | None:
    """The report's contact sheet of the most confident mistakes."""
    path = bundle.path / "report" / "confidently_wrong.jpg"
    if not path.is_file():
        return None
    with Image.open(path) as image:
        return image.convert("RGB")


def demo_flag(state: AppState) -> Any:
    """Show the demo warning exactly while the demo model is active."""
    return gr.update(visible=state.model.bundle.is_demo)


def switch_model(state: AppState, key: str | None, language: str) -> tuple[str, str]:
    """(status, model line) after making `key` the active model."""
    if not key:
        raise user_error(text(language, "error.choose_model"))
    try:
        model = state.switch(key)
    except BundleError as error:
        raise user_error(str(error)) from error
    line = render.model_line(model.bundle, language)
    return text(language, "workshop.switched", name=model.bundle.name), line


def build(
    state: AppState,
    labels: Labels,
    language: gr.Radio,
    model_line: gr.Markdown,
    banner: gr.Markdown,
    access: Access,
) -> None:
    """The tab's components and events; `model_line` and `banner` follow a model switch.

    Training needs a trainer or an admin, and so does changing the model that answers
    everyone: never by default (the "use now" box starts unticked)."""
    labels.make(gr.Markdown, {"value": "workshop.help"})
    with gr.Row(equal_height=False):
        with gr.Column():
            archive = labels.make(
                gr.File,
                {"label": "workshop.archive"},
                file_types=[".zip"],
                type="filepath",
                elem_id="workshop-archive",
            )
            with gr.Row():
                dataset = labels.make(
                    gr.Dropdown,
                    {"label": "workshop.dataset", "info": "workshop.dataset_info"},
                    choices=dataset_choices(state),
                    value=None,
                    scale=3,
                )
                labels.dynamic(dataset, lambda _: {"choices": dataset_choices(state)})
                refresh = labels.make(gr.Button, {"value": "workshop.refresh"}, scale=1)
            name = labels.make(gr.Textbox, {"label": "workshop.name"}, value="workshop")
            use_now = labels.make(
                gr.Checkbox, {"label": "workshop.use_now"}, value=False, elem_id="use-now"
            )
            train_button = labels.make(gr.Button, {"value": "workshop.train"}, variant="primary")
        with gr.Column():
            summary = gr.Markdown(elem_id="workshop-summary")
            per_class = labels.dataframe("workshop.per_class", per_class_headers)
    confusion = labels.dataframe("workshop.confusion", confusion_headers)
    with gr.Row(equal_height=False):
        wrong = labels.dataframe("workshop.mistakes", mistake_headers)
        contact = labels.make(gr.Image, {"label": "workshop.sheet"}, interactive=False, type="pil")
    labels.make(gr.Markdown, {"value": "workshop.models_help"})
    with gr.Row():
        choices = bundle_choices(state, labels.language)
        chosen = labels.make(
            gr.Dropdown, {"label": "workshop.models"}, choices=choices, value=STARTUP, scale=3
        )
        labels.dynamic(chosen, lambda lang: {"choices": bundle_choices(state, lang)})
        use = labels.make(gr.Button, {"value": "workshop.use"}, scale=1)
    switched = gr.Markdown()

    # Gradio finds the progress bar through this default (its documented idiom).
    def on_train(path, picked, label, now, lang, request: gr.Request, progress=gr.Progress()):  # noqa: B008
        require(access, request, "train", lang)
        if now:
            require(access, request, "switch_model", lang)
        *results, key = train_model(state, path, picked, label, now, lang, progress)
        # The new model is in the list, chosen (one press of "use" away when not used now).
        update = gr.update(choices=bundle_choices(state, lang), value=key)
        line = render.model_line(state.model.bundle, lang)
        return (*results, update, line, demo_flag(state))

    def on_switch(key, lang, request: gr.Request):
        require(access, request, "switch_model", lang)
        return (*switch_model(state, key, lang), demo_flag(state))

    def on_refresh():
        return gr.update(choices=dataset_choices(state))

    train_button.click(
        on_train,
        [archive, dataset, name, use_now, language],
        [summary, per_class, confusion, wrong, contact, chosen, model_line, banner],
        api_name="train",
        show_progress_on=summary,  # one progress bar, not one per output
        concurrency_limit=1,
        concurrency_id="train",
    )
    use.click(
        on_switch, [chosen, language], [switched, model_line, banner], api_name="switch_model"
    )
    refresh.click(on_refresh, None, dataset, api_visibility="private")
