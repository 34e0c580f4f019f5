"""Conversations and feedback kept in a database (SQLite under $CRS_HOME by default)."""

from crs.store.db import ConversationStore, StoreError, default_url

__all__ = ["ConversationStore", "StoreError", "default_url"]
