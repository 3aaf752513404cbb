"""Engines: each decides the properties of a `System`."""
