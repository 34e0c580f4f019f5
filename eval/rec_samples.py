"""Moved to `crs.recommenders.samples` (dataset construction, used by training); kept while callers move."""
from crs.recommenders.samples import *  # noqa: F401,F403
