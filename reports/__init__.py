"""Renderers of a run's results (html, xlsx, markdown, json, junit, oscal)."""
