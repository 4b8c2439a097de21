"""Publish texts from source/ as PDF, EPUB and HTML editions.

Data flows one way: source → stages → canonical Markdown → Document → writers → files.
"""
__version__ = "0.1.0"
