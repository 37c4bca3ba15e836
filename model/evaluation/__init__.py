"""Evaluation: a model's answers on labelled photos and the report that shows them."""
