"""Conversational core: data, recommenders, LLM backends, dialogue manager."""

__version__ = "0.1.0"
