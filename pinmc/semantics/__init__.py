"""Syntax tree to transition system: load, elaborate (resolve names, check
types, inline calls), then lower steps to transitions."""
