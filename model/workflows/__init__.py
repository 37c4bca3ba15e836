"""Whole runs that use everything below: training a bundle, the embedded demo
bundle.
"""
