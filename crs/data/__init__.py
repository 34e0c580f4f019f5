"""Loaders for the six datasets, validation with file:line errors, and the ReDial split."""
