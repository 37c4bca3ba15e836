"""Shared utilities every layer uses: atomic files and the cache folder, the config
loader, the ordered worker pool, spreadsheet-safe CSV. Imports nothing of WildLens.
"""
