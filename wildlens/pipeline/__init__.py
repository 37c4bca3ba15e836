"""infer.py's pipeline: inputs (folders, lists, archives), the two stages every engine runs
(decode, then model), the local and Ray engines, records (JSONL, CSV, summary) and review pages.

    summary = run_batch(load_config(InferConfig, ["input=archive/", "out=runs/a.csv"]))
"""
