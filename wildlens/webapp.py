"""The Gradio app for officers: upload a photo, see the decision, the classes and the card.

demo = build_app(predictor, cfg); launch(demo, cfg)
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from data.images import IMAGE_EXTENSIONS, ImageError
from model.catalogue import CatalogueEntry
from model.predictor import Prediction, Predictor
from model.routing import IDENTIFIED, REVIEW, UNKNOWN
from wildlens.config import AppConfig

DECISION_TEXT = {
    IDENTIFIED: "## ✅ Identified",
    REVIEW: "## ⚠️ Needs expert review",
    UNKNOWN: "## ❓ Not in the catalogue: expert review",
}
REASON_TEXT = {
    "low_confidence": "the model is not confident enough for this class",
    "always_review_class": "this class is always confirmed by an expert",
    "insufficient_calibration": "too few calibration photos to guarantee automatic answers for "
    "this class",
    "ambiguous": "more than one class is possible",
    "out_of_catalogue": "the item looks unlike every catalogue class",
    "poor_image": "the photo is too small, blurred or uniform: please take a better one",
}
DEMO_BANNER = (
    "**Demo model.** This model was trained on synthetic drawings of textures, not on photos of "
    "real items: its answers mean nothing about a real seizure. Train on your own labelled photos "
    "with `python train.py data=PATH`, then start the app with `python app.py bundle=runs/train`."
)


def identify(predictor: Predictor, path: str | None) -> tuple[Any, dict[str, float], str, str]:
    """The app's one prediction: (preview image, label confidences, decision text, card)."""
    if not path:
        raise gr.Error("Please upload a photo first.")
    try:
        loaded = predictor.load(path)
    except ImageError as error:
        raise gr.Error(f"This photo cannot be used ({error.code}): {error.message}") from error
    [prediction] = predictor.predict([loaded.image])
    names = {c: predictor.catalogue[c].name() for c in predictor.class_ids}
    confidences = {names[c]: p for c, p in prediction.top_k}
    return (
        loaded.image,
        confidences,
        decision_markdown(prediction, names),
        card_markdown(predictor.catalogue[prediction.label], names),
    )


def decision_markdown(prediction: Prediction, names: dict[str, str]) -> str:
    lines = [DECISION_TEXT[prediction.decision]]
    top = names[prediction.label]
    if prediction.decision == IDENTIFIED:
        lines.append(f"**{top}** ({prediction.confidence:.1%} calibrated confidence)")
    else:
        lines.append(
            f"Most likely: **{top}** ({prediction.confidence:.1%}). An expert must confirm."
        )
    lines += [f"- {REASON_TEXT.get(reason, reason)}" for reason in prediction.reasons]
    if len(prediction.shortlist) > 1:
        lines.append("One of: " + ", ".join(names[c] for c in prediction.shortlist))
    return "\n\n".join(lines)


def card_markdown(entry: CatalogueEntry, names: dict[str, str]) -> str:
    """The catalogue card of a class; `names` gives display names of the model's classes."""
    lookalikes = [names.get(other, other.replace("_", " ")) for other in entry.lookalikes]
    review = (
        "always reviewed by an expert"
        if entry.always_review
        else (f"auto-accepted at {entry.target_precision:.0%} target precision")
    )
    return "\n".join(
        [
            f"### {entry.name('en')} · {entry.name('zh')} · {entry.name('lo')}",
            f"- **Taxon:** {entry.taxon}",
            f"- **CITES appendix:** {entry.cites_appendix}",
            f"- **Group:** {entry.group}",
            f"- **Look-alikes:** {', '.join(lookalikes) or 'none listed'}",
            f"- **Routing:** {review}",
            "",
            entry.features,
        ]
    )


def build_app(predictor: Predictor, cfg: AppConfig) -> gr.Blocks:
    bundle = predictor.bundle
    with gr.Blocks(title="WildLens", analytics_enabled=False) as demo:
        gr.Markdown(
            "# WildLens\nIdentify seized wildlife products from a photo. A screening aid, not "
            "forensic proof: anything uncertain goes to an expert."
        )
        if bundle.is_demo:
            gr.Markdown(DEMO_BANNER, elem_id="demo-banner")
        with gr.Row():
            with gr.Column():
                photo = gr.File(
                    label="Photo of the item",
                    file_count="single",
                    file_types=list(IMAGE_EXTENSIONS),
                    type="filepath",
                )
                button = gr.Button("Identify", variant="primary")
                preview = gr.Image(label="Photo as analysed", interactive=False, type="pil")
            with gr.Column():
                decision = gr.Markdown(elem_id="decision")
                label = gr.Label(label="Top classes (calibrated)", num_top_classes=cfg.top_k)
                card = gr.Markdown(elem_id="card")
        gr.Markdown(
            f"Model: `{bundle.name}` version `{bundle.version}` · weights sha256 "
            f"`{bundle.weights_sha256[:16]}…`"
        )

        def classify(path: str | None):
            return identify(predictor, path)

        button.click(
            classify, inputs=photo, outputs=[preview, label, decision, card], api_name="classify"
        )
    demo.queue(default_concurrency_limit=cfg.concurrency, max_size=cfg.queue_size)
    return demo


def launch(demo: gr.Blocks, cfg: AppConfig, **kwargs: Any) -> Any:
    """Serve on `cfg.host:cfg.port` (localhost by default) with the upload size limit."""
    return demo.launch(
        server_name=cfg.host,
        server_port=cfg.port,
        max_file_size=cfg.max_file_size_mb * gr.FileSize.MB,
        show_error=False,
        **kwargs,
    )
