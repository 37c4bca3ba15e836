"""Fitting: full fine-tuning, fast mode's cached features and cross-fitted head,
the trust policy fitted on out-of-fold answers, resume checkpoints, data-parallel runs.
"""
