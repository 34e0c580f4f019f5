"""Write evaluation results: ``results.json``, ``results.md`` and PNG plots.

``results.json`` is the machine-readable record (metrics + run metadata + optional
table); ``results.md`` is the same in a readable form. Plots use matplotlib's Agg
backend, imported only when a plot is drawn.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.rundir import json_default


def _fmt(value: Any, digits: int = 4) -> str:
    """Floats with ``digits`` decimals, nan/inf spelled out, everything else ``str``."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if hasattr(value, "item") and not isinstance(value, (list, tuple)):
        try:
            value = value.item()  # numpy scalar
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.{digits}f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _finite(obj: Any) -> Any:
    """Replace nan/inf floats by None, recursively."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def flatten(metrics: Mapping[str, Any], sep: str = "/", prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts: ``{"crslab": {"recall@1": x}}`` -> ``{"crslab/recall@1": x}``."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(flatten(value, sep, name))
        else:
            out[name] = value
    return out


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, digits: int = 4) -> str:
    """A GitHub Markdown table of ``rows`` (dicts); ``columns`` default to keys in first-seen order.

    Floats get ``digits`` decimals; missing cells are empty.
    """
    if columns is None:
        columns = list(dict.fromkeys(k for row in rows for k in row))
    if not columns:
        return ""
    lines = [
        "| " + " | ".join(_fmt(c) for c in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row.get(c), digits) for c in columns) + " |")
    return "\n".join(lines)


def _meta_summary(meta: Mapping[str, Any]) -> str:
    sha = meta.get("git_sha", "unknown")
    dirty = meta.get("git_dirty")
    lines = [
        f"- git: `{sha}`" + (" (dirty working tree)" if dirty else ""),
        f"- seed: {meta.get('seed')}",
        f"- time (UTC): {meta.get('timestamp', '')}",
        f"- python {meta.get('python', '')} on {meta.get('platform', '')}",
    ]
    pkgs = meta.get("packages") or {}
    if pkgs:
        lines.append("- packages: " + ", ".join(f"{k} {v if v else '(missing)'}" for k, v in pkgs.items()))
    config = meta.get("config")
    if config:
        lines.append("- config: `" + json.dumps(config, sort_keys=True, default=json_default) + "`")
    for key, value in meta.items():
        if key not in {"git_sha", "git_dirty", "seed", "timestamp", "python", "platform", "packages", "config", "argv"}:
            lines.append(f"- {key}: {_fmt(value)}")
    return "\n".join(lines)


def write_results(
    run_dir: str | os.PathLike,
    metrics: Mapping[str, Any],
    meta: Mapping[str, Any],
    title: str,
    table_rows: Sequence[Mapping[str, Any]] | None = None,
    digits: int = 4,
) -> tuple[Path, Path]:
    """Write ``results.json`` and ``results.md`` into ``run_dir``; return both paths.

    ``metrics`` may be nested one or more levels (e.g. per protocol); the Markdown
    table flattens the names with "/". ``table_rows`` (e.g. per-model rows) are added
    to both files. nan/inf are written as ``null`` in the JSON file.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {"title": title, "metrics": metrics, "meta": meta}
    if table_rows is not None:
        payload["table"] = list(table_rows)
    json_path = run_dir / "results.json"
    # Round-trip through json_default first so numpy values become plain numbers, then
    # write nan/inf as null: strict JSON has no NaN.
    plain = _finite(json.loads(json.dumps(payload, default=json_default)))
    json_path.write_text(json.dumps(plain, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")

    flat = flatten(metrics)
    parts = [f"# {title}", ""]
    if flat:
        parts += [markdown_table([{"metric": k, "value": v} for k, v in flat.items()], ["metric", "value"], digits), ""]
    if table_rows:
        parts += [markdown_table(list(table_rows), digits=digits), ""]
    parts += ["## Run", "", _meta_summary(meta), ""]
    md_path = run_dir / "results.md"
    md_path.write_text("\n".join(parts), encoding="utf-8")
    return json_path, md_path


def bar_plot(
    path: str | os.PathLike,
    labels: Sequence[str],
    values: Sequence[float],
    title: str = "",
    ylabel: str = "",
    errors: Sequence[float] | None = None,
) -> Path:
    """Save a bar chart (optional error bars) as PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels but {len(values)} values")
    fig, ax = plt.subplots(figsize=(max(4.0, 0.8 * len(labels) + 2), 3.5))
    try:
        ax.bar(range(len(values)), values, yerr=errors, capsize=3 if errors is not None else 0, color="#4C72B0")
        ax.set_xticks(range(len(labels)), labels, rotation=30 if len(labels) > 5 else 0, ha="right" if len(labels) > 5 else "center")
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        return _save(fig, path)
    finally:
        plt.close(fig)


def _save(fig, path: str | os.PathLike) -> Path:
    """Write a figure as PNG, creating the folder."""
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path


def line_plot(
    path: str | os.PathLike,
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
) -> Path:
    """Save one line per entry of ``series`` (name -> y values over ``x``) as PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    try:
        for name, ys in series.items():
            if len(ys) != len(x):
                raise ValueError(f"series {name!r} has {len(ys)} points, x has {len(x)}")
            ax.plot(list(x), list(ys), marker="o", markersize=3, label=name)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if series:
            ax.legend()
        ax.grid(alpha=0.3)
        return _save(fig, path)
    finally:
        plt.close(fig)
