"""A KV-cache layer with room to grow: a decoding step writes its one new position in place.

Hugging Face's `DynamicLayer` appends with `torch.cat`, which copies the whole cache at every step.
For one reply that copy is small; for the app's running batch (ten rows of ~400 positions, 30 layers)
it is read and written once per token. `BufferedLayer` keeps keys and values in a buffer with spare
positions and returns views of the filled part; it re-buffers only when the batch changes (a row
joins or leaves, which assigns `keys`/`values`) or the room runs out (doubling).
"""

from __future__ import annotations

ROOM = 96  # spare positions after a (re)buffer: most replies end within this many tokens


def _buffered(x, room: int):
    """A copy of `x` (batch, heads, time, dim) in a buffer with `room` spare positions, and its length."""
    if x is None:
        return None, 0
    b, h, t, d = x.shape
    buf = x.new_empty(b, h, t + room, d)
    buf[:, :, :t] = x
    return buf, t


def buffered_layer_class():
    """The layer class (built on first use: transformers is imported only when a model runs)."""
    global _CLASS
    if _CLASS is None:
        from transformers.cache_utils import DynamicLayer

        class BufferedLayer(DynamicLayer):
            """`DynamicLayer` semantics (same keys/values, same update result), without the per-step copy."""

            def lazy_initialization(self, key_states, value_states) -> None:
                self.device, self.is_initialized = key_states.device, True

            @property
            def keys(self):
                return None if self._kb is None else self._kb[:, :, :self._kn]

            @keys.setter
            def keys(self, x):
                self._kb, self._kn = _buffered(x, ROOM)

            @property
            def values(self):
                return None if self._vb is None else self._vb[:, :, :self._vn]

            @values.setter
            def values(self, x):
                self._vb, self._vn = _buffered(x, ROOM)

            def update(self, key_states, value_states, *args, **kwargs):
                if not self.is_initialized or self._kb is None:
                    self.lazy_initialization(key_states, value_states)
                    self.keys, self.values = key_states, value_states
                    return self.keys, self.values
                n = key_states.shape[-2]
                if self._kn + n > self._kb.shape[-2]:  # out of room: grow by doubling (at least)
                    room = max(ROOM, self._kn, n)
                    self._kb, self._kn = _buffered(self.keys, room)
                    self._vb, self._vn = _buffered(self.values, room)
                self._kb[:, :, self._kn:self._kn + n] = key_states
                self._vb[:, :, self._vn:self._vn + n] = value_states
                self._kn += n
                self._vn += n
                return self.keys, self.values

        _CLASS = BufferedLayer
    return _CLASS


_CLASS = None


def to_buffered(cache) -> None:
    """Swap a `DynamicCache`'s layers for buffered ones holding the same keys and values (in place)."""
    cls = buffered_layer_class()
    layers = []
    for old in cache.layers:
        new = cls()
        if old.is_initialized and old.keys is not None:
            new.lazy_initialization(old.keys, old.values)
            new.keys, new.values = old.keys, old.values
        layers.append(new)
    cache.layers = layers
