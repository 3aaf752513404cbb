"""Renderings of results: text, JSON (and later pictures and pages)."""
