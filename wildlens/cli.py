"""Command line: `wildlens train|infer|app|audit|export|demo|user key=value ...` and the scripts.

Every command takes `key=value` overrides and `config=FILE.yaml`; `--help` prints the keys of its
section of configs/default.yaml with their comments. Configuration and input errors print one
clear line and exit with status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from wildlens.common.config_loader import AuditConfig, ConfigError, load_config, section_help
from wildlens.model.config import (
    DemoConfig,
    EvaluateConfig,
    ExportConfig,
    KeygenConfig,
    SignConfig,
    TrainConfig,
)
from wildlens.pipeline.config import InferConfig
from wildlens.ui.config import AppConfig, UserConfig, VerifyStoreConfig

# Every command's config: one section of configs/default.yaml each.
CONFIGS = (
    TrainConfig,
    InferConfig,
    AppConfig,
    EvaluateConfig,
    AuditConfig,
    ExportConfig,
    DemoConfig,
    KeygenConfig,
    SignConfig,
    VerifyStoreConfig,
    UserConfig,
)


def _run(cls: type, command: Callable, argv: Sequence[str] | None, usage: str) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in args):
        print(f"usage: {usage}\n\nkeys (defaults < config=FILE.yaml < key=value):\n")
        print(section_help(cls))
        return 0
    # Imported late so `--help` and config errors answer at once.
    from wildlens.data.images import ImageError
    from wildlens.data.sources import DatasetError
    from wildlens.model.bundle.catalogue import CatalogueError
    from wildlens.model.bundle.format import BundleError
    from wildlens.model.bundle.signing import SigningError
    from wildlens.model.network.backbones import WeightsError
    from wildlens.pipeline.records import RecordsError
    from wildlens.review.store import StoreError
    from wildlens.ui.accounts import AccountError

    try:
        return command(load_config(cls, args))
    except (
        ConfigError,
        DatasetError,
        BundleError,
        CatalogueError,
        WeightsError,
        ImageError,
        RecordsError,
        StoreError,
        SigningError,
        AccountError,
        FileNotFoundError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a folder that cannot be written, a file where a folder should be
        where = f": {error.filename}" if error.filename else ""
        print(
            f"error: {error.strerror or error}{where}; choose a path you can write to",
            file=sys.stderr,
        )
        return 2


def check_out(key: str, path: str) -> None:
    """Refuse an output path that cannot be written before any work starts."""
    from wildlens.common.files import unwritable_reason

    reason = unwritable_reason(path)
    if reason:
        raise ConfigError(f"{key}={path}: {reason}; choose a path you can write to")


def resolve_bundle(path: str, log: Callable[[str], None] = print) -> str:
    """The bundle to serve: the given path, or the embedded demo (built on first use)."""
    if path:
        return path
    from wildlens.model.workflows.demo import ensure_demo_bundle

    return str(ensure_demo_bundle(log=log))


def train_command(cfg: TrainConfig) -> int:
    from wildlens.model.workflows.train import train

    check_out("out", cfg.out)
    check_shares(cfg)
    train(cfg)
    return 0


# The trust layer's shares, checked before any work starts (a wrong one would otherwise stop
# training at its end, after the slow part): key -> (lowest, highest, highest included).
SHARES = {
    "target_precision": (0.0, 1.0, True),
    "routing_delta": (0.0, 1.0, False),
    "shortlist_coverage": (0.0, 1.0, False),
    "unknown_keep": (0.0, 1.0, True),
    "familiar_keep": (0.0, 1.0, True),
    "class_familiar_keep": (0.0, 1.0, True),
    "lookalike_rate": (0.0, 1.0, True),
}


def check_shares(cfg: TrainConfig) -> None:
    """Refuse a trust share outside its range (each above 0; at most 1, or under 1)."""
    for key, (low, high, included) in SHARES.items():
        value = getattr(cfg, key)
        if not (low < value <= high if included else low < value < high):
            bound = f"{high} or less" if included else f"under {high}"
            raise ConfigError(f"train.{key}={value}: must be above {low} and {bound}")


def infer_command(cfg: InferConfig) -> int:
    from wildlens.model.bundle.signing import trusted_key_ids
    from wildlens.pipeline.batch import run_batch
    from wildlens.pipeline.inputs import input_kind
    from wildlens.pipeline.records import Outputs

    if not cfg.input:
        raise ConfigError("no input given: infer.py input=FOLDER|LIST.csv|ARCHIVE out=FILE.csv")
    if cfg.backend == "onnx" and cfg.device in ("cuda", "mps"):
        raise ConfigError("backend=onnx runs on the CPU: use device=cpu, or backend=torch on a GPU")
    if Path(cfg.out).suffix.lower() != ".csv":
        raise ConfigError(
            f"out={cfg.out} must name the CSV to write (e.g. out=runs/case-17.csv); its record "
            "log (.jsonl) and summary (.summary.json) are written beside it"
        )
    input_kind(cfg.input)  # a missing input says so now, not after minutes of demo building
    check_out("out", cfg.out)
    source = Path(cfg.input).resolve()
    outputs = Outputs(Path(cfg.out))
    for written in (outputs.csv, outputs.records, outputs.summary):
        if written.resolve() == source:
            raise ConfigError(
                f"out={cfg.out} would write {written} over the input; choose another out="
            )
    if cfg.dry_run:
        run_batch(cfg)
        return 0
    if trusted_key_ids(cfg.trusted_keys) is not None and not cfg.bundle:
        raise ConfigError("trusted_keys needs bundle=PATH: the embedded demo model is not signed")
    cfg.bundle = resolve_bundle(cfg.bundle)
    summary = run_batch(cfg)
    status = summary["status"]
    print(
        f"{summary['records']} records -> {outputs.csv} (log {outputs.records}, summary "
        f"{outputs.summary}): status {status}, decisions {summary['decision']}"
        + (f", errors {summary['error_code']}" if summary["error_code"] else "")
    )
    if cfg.strict and status["failed"]:
        print(f"strict: {status['failed']} inputs failed", file=sys.stderr)
        return 1
    return 0


def export_command(cfg: ExportConfig) -> int:
    from wildlens.model.network.export import ONNX_FILE, export_to_bundle

    if not cfg.bundle:
        raise ConfigError("no bundle given: wildlens export bundle=PATH")
    bundle = export_to_bundle(cfg.bundle)
    error = bundle.meta.onnx["parity_max_abs_error"]
    print(f"{bundle.path / ONNX_FILE}: max difference from PyTorch {error:.1e}")
    return 0


def app_command(cfg: AppConfig) -> int:
    from wildlens.model.bundle.signing import trusted_key_ids
    from wildlens.model.serving.predictor import Predictor
    from wildlens.ui import AppState, build_app, launch, warmup
    from wildlens.ui.app import check_exposure, credentials

    check_exposure(cfg, credentials(cfg))  # before minutes of demo building, not after
    trusted = trusted_key_ids(cfg.trusted_keys)
    if trusted is not None and not cfg.bundle:
        raise ConfigError("trusted_keys needs bundle=PATH: the embedded demo model is not signed")
    path = resolve_bundle(cfg.bundle)
    predictor = Predictor.from_bundle(
        path, device=cfg.device, top_k=cfg.top_k, threads=cfg.threads, trusted_keys=trusted
    )
    state = AppState(cfg, predictor, path)
    demo = build_app(state)
    # The first answers' imports and buffers, then the Workshop's training stack (it takes
    # seconds to import: docs/benchmarks.md, "Workshop training"), in the background.
    warmup.start(state.model, cfg.heat_map, cfg.workshop)
    launch(demo, cfg)
    return 0


def keygen_command(cfg: KeygenConfig) -> int:
    from wildlens.model.bundle.signing import generate_keys, public_key_id

    check_out("out", cfg.out)
    private, public = generate_keys(cfg.out)
    print(
        f"private key {private} (keep it at the training centre; it signs bundles), public key "
        f"{public} (key id {public_key_id(public)}: list it in deployments' trusted_keys)"
    )
    return 0


def sign_command(cfg: SignConfig) -> int:
    from wildlens.model.bundle.format import load_bundle
    from wildlens.model.bundle.signing import sign

    if not cfg.bundle or not cfg.key:
        raise ConfigError("wildlens sign bundle=PATH key=PRIVATE.key")
    bundle = load_bundle(cfg.bundle)
    signature = sign(bundle.path, bundle.sha256, cfg.key)
    print(f"{bundle.path} (identity {bundle.sha256[:16]}...) signed by key {signature.key_id}")
    return 0


def verify_store_command(cfg: VerifyStoreConfig) -> int:
    from wildlens.review.store import ReviewStore

    database = Path(cfg.database) if cfg.database else Path(cfg.data_dir) / "review.sqlite3"
    if not database.is_file():
        raise ConfigError(f"no review store at {database}; give data_dir= or database=")
    from wildlens.model.bundle.signing import SigningError, trusted_key_ids

    try:
        trusted = trusted_key_ids(cfg.site_public_keys)
    except SigningError as error:
        raise ConfigError(str(error)) from None
    store = ReviewStore(
        database,
        Path(cfg.data_dir) / "photos",
        head_log=Path(cfg.head_log) if cfg.head_log else None,
        start_anchor=False,
    )
    problems = store.verify(trusted=trusted)
    if not problems:
        heads, _ = store.heads.heads()
        signed = [h for h in heads if h.signature]
        print(
            f"{database}: intact (every record, event and photo matches its hash chain and "
            f"the head log {store.heads.path.name}; {len(signed)} signed heads"
            + (f", the last at event {signed[-1].event}, {signed[-1].time}" if signed else "")
            + ")"
        )
        start = next((h for h in heads if h.start), None)
        if start is not None:
            print(f"note: the head log starts at event {start.event} ({start.time})")
        return 0
    print(f"{database}: {len(problems)} problem(s); the first: {problems[0]}", file=sys.stderr)
    for problem in problems[1:]:
        print(f"  {problem}", file=sys.stderr)
    return 1


def read_password(cfg: UserConfig) -> str:
    """The new password: from the variable `password_env`, the first line of standard input
    (`password_stdin`), or typed twice at a prompt; never from the command line."""
    import getpass
    import os

    if cfg.password_env:
        password = os.environ.get(cfg.password_env, "")
        if not password:
            raise ConfigError(f"password_env={cfg.password_env}: that variable is not set")
        return password
    if cfg.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ConfigError(
            "no terminal to ask the password at: give password_env=VARIABLE or "
            "password_stdin=true (the password on standard input)"
        )
    try:
        password = getpass.getpass(f"Password for {cfg.name}: ")
        again = getpass.getpass("The same password again: ")
    except (EOFError, KeyboardInterrupt):
        raise ConfigError("no password given; nothing was changed") from None
    if password != again:
        raise ConfigError("the two passwords differ; nothing was changed")
    return password


def user_command(cfg: UserConfig) -> int:
    from wildlens.ui.accounts import UsersFile

    users = UsersFile(Path(cfg.users_file) if cfg.users_file else Path(cfg.data_dir) / "users.json")
    if cfg.action == "list":
        accounts = users.accounts()
        for account in accounts:
            print(f"{account.name}\t{account.role}\t{account.full_name}")
        if not accounts:
            print(f"no accounts in {users.path}: the app runs without login (on localhost only)")
        return 0
    if not cfg.name:
        raise ConfigError(f"give the user's name: wildlens user {cfg.action} NAME")
    if cfg.action == "remove":
        users.remove(cfg.name)
        print(f"removed {cfg.name} from {users.path}")
        return 0
    check_out("users_file", str(users.path))
    from wildlens.ui.accounts import check_name

    check_name(cfg.name)  # before asking for a password
    account = users.add(cfg.name, cfg.role, read_password(cfg), cfg.full_name, cfg.change_password)
    done = "new password for" if cfg.change_password else "added"
    print(f"{done} {account.name} ({account.role}) in {users.path}")
    return 0


def audit_command(cfg: AuditConfig) -> int:
    from wildlens.data.audit import audit, write_report
    from wildlens.data.sources import Sample, open_source

    if not cfg.data:
        raise ConfigError("no dataset given: wildlens audit data=PATH")
    check_out("out", cfg.out)
    samples, skipped = [], []
    for item in open_source(cfg.data):
        (samples if isinstance(item, Sample) else skipped).append(item)
    report = audit(
        samples, skipped, min_side=cfg.min_side, max_aspect=cfg.max_aspect, workers=cfg.workers
    )
    out = write_report(report, samples, cfg.out)
    summary = report["summary"]
    print(
        f"{summary['images']} images, {summary['classes']} classes: {summary['unreadable']} "
        f"unreadable, {summary['skipped']} skipped, {summary['exact_duplicate_sets']} exact and "
        f"{summary['near_duplicate_sets']} near-duplicate sets, {summary['leaking_sets']} crossing "
        f"splits, {summary['label_conflicts']} with conflicting labels -> {out}/audit.html"
    )
    return 0


def evaluate_command(cfg: EvaluateConfig) -> int:
    from wildlens.data.sources import dataset_splits
    from wildlens.model.evaluation.evaluate import evaluate_bundle, measure_lines
    from wildlens.model.evaluation.report import evaluation_files, summary_lines
    from wildlens.model.serving.predictor import Predictor

    if not cfg.data:
        raise ConfigError("no dataset given: wildlens evaluate bundle=PATH data=PATH")
    check_out("out", cfg.out)
    found, skipped = dataset_splits(cfg.data)
    if cfg.split and cfg.split not in found:
        raise ConfigError(f"split {cfg.split!r} not in {cfg.data} (it has {sorted(found)})")
    samples = found[cfg.split] if cfg.split else [s for part in found.values() for s in part]
    predictor = Predictor.from_bundle(resolve_bundle(cfg.bundle), device=cfg.device)
    run = evaluate_bundle(predictor, samples, cfg.split or Path(cfg.data).name, cfg.batch_size)
    names = [predictor.catalogue[c].name() for c in predictor.class_ids]
    files = evaluation_files(run.evaluation, names, extra_metrics=run.extra, prefix="")
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (out / name).write_bytes(content)
    for line in summary_lines(run.evaluation.metrics()):
        print(line)
    for line in measure_lines(run.extra, predictor.bundle.meta.routing):
        print(line)
    if run.extra["unreadable"] or run.extra["classes_not_in_bundle"] or skipped:
        print(
            f"not evaluated: {len(run.extra['unreadable'])} unreadable, {len(skipped)} skipped; "
            "photos of classes the bundle does not know (measured as other items): "
            f"{run.extra['classes_not_in_bundle'] or 'none'}"
        )
    print(f"report written to {out}")
    return 0


def train_main(argv: Sequence[str] | None = None) -> int:
    return _run(TrainConfig, train_command, argv, "wildlens-train data=PATH [key=value ...]")


# Flags the issue tracker and analysts expect, as their key=value spelling.
INFER_FLAGS = {"--strict": "strict=true", "--dry-run": "dry_run=true"}


def infer_main(argv: Sequence[str] | None = None) -> int:
    args = [INFER_FLAGS.get(a, a) for a in (sys.argv[1:] if argv is None else argv)]
    return _run(
        InferConfig,
        infer_command,
        args,
        "wildlens-infer bundle=PATH input=FOLDER|LIST.csv|ARCHIVE out=FILE.csv [--strict] "
        "[--dry-run] [key=value ...]",
    )


def export_main(argv: Sequence[str] | None = None) -> int:
    return _run(ExportConfig, export_command, argv, "wildlens export bundle=PATH")


def app_main(argv: Sequence[str] | None = None) -> int:
    return _run(AppConfig, app_command, argv, "wildlens-app [bundle=PATH] [key=value ...]")


def demo_main(argv: Sequence[str] | None = None) -> int:
    """Build (first time) or verify the embedded demo bundle and print its folder."""
    if argv:
        print("usage: wildlens demo   (takes no keys; see configs/demo.yaml)")
        return 0 if argv[0] in ("-h", "--help") else 2
    from wildlens.model.workflows.demo import ensure_demo_bundle

    print(ensure_demo_bundle())
    return 0


def evaluate_main(argv: Sequence[str] | None = None) -> int:
    return _run(
        EvaluateConfig,
        evaluate_command,
        argv,
        "wildlens evaluate bundle=PATH data=PATH [split=test] [out=FOLDER]",
    )


def audit_main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and "=" not in args[0] and not args[0].startswith("-"):
        args[0] = f"data={args[0]}"  # `wildlens audit DATA` reads as data=DATA
    return _run(
        AuditConfig, audit_command, args, "wildlens audit DATA [out=FOLDER] [key=value ...]"
    )


USER_ACTIONS = ("add", "list", "remove")


def user_main(argv: Sequence[str] | None = None) -> int:
    """`wildlens user add NAME role=officer`, `wildlens user list`, `wildlens user remove NAME`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a.split("=", 1)[0] == "password" for a in args):
        # Never echoed: a password on the command line stays in shell history and process lists.
        print(
            "error: passwords are never taken from the command line (shell history, process "
            "lists): type it at the prompt, or use password_env=VARIABLE or password_stdin=true",
            file=sys.stderr,
        )
        return 2
    if args and args[0] in USER_ACTIONS:
        args[0] = f"action={args[0]}"
        if len(args) > 1 and "=" not in args[1] and not args[1].startswith("-"):
            args[1] = f"name={args[1]}"
    return _run(
        UserConfig,
        user_command,
        args,
        "wildlens user add NAME role=officer|expert|trainer|admin [full_name=...] "
        "[change_password=true] | wildlens user list | wildlens user remove NAME",
    )


def keygen_main(argv: Sequence[str] | None = None) -> int:
    return _run(KeygenConfig, keygen_command, argv, "wildlens keygen [out=PATH-STEM]")


def sign_main(argv: Sequence[str] | None = None) -> int:
    return _run(SignConfig, sign_command, argv, "wildlens sign bundle=PATH key=PRIVATE.key")


def verify_store_main(argv: Sequence[str] | None = None) -> int:
    return _run(
        VerifyStoreConfig,
        verify_store_command,
        argv,
        "wildlens verify-store [data_dir=runs/app] [database=FILE]",
    )


COMMANDS = {
    "train": train_main,
    "infer": infer_main,
    "app": app_main,
    "evaluate": evaluate_main,
    "audit": audit_main,
    "export": export_main,
    "demo": demo_main,
    "keygen": keygen_main,
    "sign": sign_main,
    "verify-store": verify_store_main,
    "user": user_main,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        print(f"usage: wildlens {{{','.join(COMMANDS)}}} [key=value ...]   (--help for keys)")
        return 0 if args and args[0] in ("-h", "--help") else 2
    return COMMANDS[args[0]](args[1:])


if __name__ == "__main__":  # python -m wildlens.cli ...
    raise SystemExit(main())
