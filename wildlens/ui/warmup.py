"""The app's warm-up: what the first officer would otherwise wait for, done once at start-up.

The first answers after `app.py` starts used to take seconds: SciPy's statistics (the shift
guard's bounds) were imported by the first photo, the fonts of the overview were loaded by the
first table, and the workshop's training stack was still being imported in the background while
the second and third photos were answered, taking the cores they needed (a 12 MP table of 6 items:
2.6-3.3 s, then 0.6-1.4 s twice, then 0.4 s; docs/benchmarks.md, "Items on a table").

`start` runs, in one background thread while Gradio starts:
1. each answer path once on a made-up photo (a table with two items; one item alone; its heat
   map where heat maps are on), touching nothing shared: no record, no shift-guard window;
2. the training stack, where the Workshop tab is on, at a lower CPU priority on Linux so that an
   officer's photo answered meanwhile keeps the cores;
3. `gc.freeze()`: the hundreds of thousands of objects start-up made are never scanned again by
   the garbage collector, whose full passes otherwise took 0.1-0.3 s inside answers. The price:
   a reference cycle among them is never freed (the start-up model, once the Workshop has
   switched away from it, may stay in memory).

It prints one line when done (`READY_LINE`), which the benchmarks wait for.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import os
import sys
import threading
import time

import numpy as np
from PIL import Image, ImageDraw

from wildlens.model.serving.explain import ExplainError
from wildlens.model.serving.items import draw_items, predict_items
from wildlens.ui.state import ActiveModel

log = logging.getLogger("wildlens.app")

READY_LINE = "wildlens: warmed up"  # printed (with the seconds it took) when `start` is done
TRAINING_MODULE = "wildlens.model.workflows.train"
BACKGROUND_NICE = 10  # the training stack's import yields the cores to answers


def made_up_table(width: int = 1200, height: int = 800) -> Image.Image:
    """A grey, slightly grainy table with two items apart on it (nobody's photo)."""
    grain = np.random.default_rng(0).normal(0, 4, (height, width, 1))
    table = np.clip(np.full((height, width, 3), (150, 142, 132), float) + grain, 0, 255)
    image = Image.fromarray(table.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    draw.rectangle((150, 200, 450, 600), fill=(236, 226, 200))
    draw.ellipse((700, 250, 1000, 550), fill=(70, 48, 36))
    return image


def warm_up(model: ActiveModel, heat_map: bool) -> int:
    """Run every answer path of the Identify tab once on `made_up_table`; the items found.
    Nothing is stored and the shift guard's window is not fed."""
    model.recent.guard()  # its bounds: SciPy's statistics
    scene = made_up_table()
    answer = predict_items(model.predictor, scene)
    draw_items(scene, [(item.index, item.box, item.prediction.decision) for item in answer.items])
    model.predictor.predict_item([scene])
    if heat_map:
        # Not a convolutional network: the app shows photos without a map.
        with contextlib.suppress(ExplainError):
            model.explainer().heat_map(scene, 0, size=(64, 64))
    return len(answer.items)


def lower_priority() -> None:
    """Give this thread a lower CPU priority (Linux, where a thread has its own nice value)."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError):  # not allowed here: it runs at normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


def prepare(model: ActiveModel, heat_map: bool, workshop: bool) -> None:
    started = time.perf_counter()
    try:
        warm_up(model, heat_map)
    except Exception as error:  # never stops the app: the first answer then does the same work
        log.warning("warm-up failed (%s): the first answers will be slower", error)
    if workshop:
        lower_priority()
        try:
            importlib.import_module(TRAINING_MODULE)
        except Exception as error:  # the Workshop's Train button then says what is missing
            log.warning("the training stack could not be loaded (%s)", error)
    gc.collect()
    gc.freeze()
    print(f"{READY_LINE} in {time.perf_counter() - started:.1f} s", flush=True)


def start(model: ActiveModel, heat_map: bool, workshop: bool) -> threading.Thread:
    """`prepare` in a daemon thread (the app answers meanwhile, more slowly)."""
    thread = threading.Thread(
        target=prepare, args=(model, heat_map, workshop), daemon=True, name="warm-up"
    )
    thread.start()
    return thread
