"""The bundle, the one artefact training writes: its format, signatures, catalogue
and model card.
"""
