"""Moved to `crs.metrics` (the product's training uses these metrics); kept only while callers move."""
from crs.metrics import *  # noqa: F401,F403
