"""Answering: photo to model input, the one predictor (photos, items of a photo,
several photos of an item), provenance of a decision, heat maps.
"""
