"""The statistics of a decision: calibration, conformal shortlists, unknown-item
scores, the shift guard, routing and the metrics of held-out answers. Pure functions over
numpy; no network, no files.
"""
