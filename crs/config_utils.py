"""Shared helpers for the config dataclasses of every learnable part."""

from __future__ import annotations

from dataclasses import asdict, fields, is_dataclass
from typing import TypeVar, get_type_hints

T = TypeVar("T")
C = TypeVar("C", bound="StrictConfig")


class StrictConfig:
    """The one base of every config dataclass: `from_dict` rejects unknown keys (nested dataclass fields
    too), `to_dict` gives back what `from_dict` reads, `from_yaml` reads a file with `base:` inheritance."""

    @classmethod
    def from_dict(cls: type[C], data: dict | None) -> C:
        return strict_from_dict(cls, data)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_yaml(cls: type[C], path) -> C:
        try:
            return cls.from_dict(load_yaml(path))
        except (TypeError, ValueError) as e:  # name the file: a config error is fixed there
            raise ValueError(f"{path}: {e}") from None


def strict_from_dict(cls: type[T], data: dict | None) -> T:
    """Build a dataclass from a dict; unknown keys are an error that lists the valid ones (a typo in a
    YAML file should fail loudly, not be ignored). A dict given for a dataclass-typed field is built the same way."""
    data = dict(data or {})
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys {unknown}; valid keys: {sorted(known)}")
    if any(isinstance(v, dict) for v in data.values()):
        hints = get_type_hints(cls)
        for name, value in data.items():
            sub = hints.get(name)
            if isinstance(value, dict) and isinstance(sub, type) and is_dataclass(sub):
                data[name] = strict_from_dict(sub, value)
    return cls(**data)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_yaml(path, _seen: tuple = ()) -> dict:
    """Read a YAML config; `base: other.yaml` (relative to this file) inherits that config and
    overrides it key by key, so an ablation states only what it changes (its name defaults to its file's)."""
    from pathlib import Path

    import yaml

    path = Path(path).resolve()
    if not path.exists():
        raise FileNotFoundError(f"config not found: {path}")
    if path in _seen:
        raise ValueError(f"{path}: circular `base:` chain")
    cfg = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(cfg, dict):
        raise ValueError(f"{path}: a config must be a YAML mapping")
    base = cfg.pop("base", None)
    if not base:
        return cfg
    cfg.setdefault("name", path.stem)  # a derived config never writes over its base's output
    return _merge(load_yaml(path.parent / base, _seen + (path,)), cfg)
