"""A KV-cache layer with room to grow: a decoding step writes its one new position in place.

Hugging Face's `DynamicLayer` appends with `torch.cat`, which copies the whole cache at every step.
For one reply that copy is small; for the app's running batch (ten rows of ~400 positions, 30 layers)
it is read and written once per token. `BufferedLayer` keeps keys and values in a buffer with spare
positions and returns views of the filled part; it re-buffers only when the batch changes (a row
joins or leaves, which assigns `keys`/`values`) or the room runs out (doubling).
"""

from __future__ import annotations

ROOM = 96  # spare positions after a (re)buffer: most replies end within this many tokens


class _Grown:
    """One tensor (batch, heads, time, dim) in a buffer with spare time positions."""

    def __init__(self, x, room: int = ROOM):
        b, h, t, d = x.shape
        self.buf, self.n = x.new_empty(b, h, t + room, d), t
        self.buf[:, :, :t] = x

    def view(self):
        return self.buf[:, :, :self.n]

    def append(self, x):
        n = x.shape[-2]
        if self.n + n > self.buf.shape[-2]:  # out of room: grow by doubling (at least)
            self.__init__(self.view(), max(ROOM, self.n, n))
        self.buf[:, :, self.n:self.n + n] = x
        self.n += n
        return self.view()


class _BufferedAttr:
    """`layer.keys` / `layer.values`: reads give the filled view, assignments re-buffer."""

    def __set_name__(self, owner, name):
        self.slot = "_" + name

    def __get__(self, layer, owner=None):
        if layer is None:
            return self
        grown = layer.__dict__.get(self.slot)
        return None if grown is None else grown.view()

    def __set__(self, layer, x):
        layer.__dict__[self.slot] = None if x is None else _Grown(x)


def buffered_layer_class():
    """The layer class (built on first use: transformers is imported only when a model runs)."""
    global _CLASS
    if _CLASS is None:
        from transformers.cache_utils import DynamicLayer

        class BufferedLayer(DynamicLayer):
            """`DynamicLayer` semantics (same keys/values, same update result), without the per-step copy."""

            keys = _BufferedAttr()
            values = _BufferedAttr()

            def lazy_initialization(self, key_states, value_states) -> None:
                self.device, self.is_initialized = key_states.device, True

            def update(self, key_states, value_states, *args, **kwargs):
                if not self.is_initialized or self._keys is None:
                    self.lazy_initialization(key_states, value_states)
                    self.keys, self.values = key_states, value_states
                    return self.keys, self.values
                return self._keys.append(key_states), self._values.append(value_states)

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
