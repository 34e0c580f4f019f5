"""Markdown tables from finished run folders: `python -m eval.sim_summary runs/`.

USS rows (from runs/*sat-*/results.json) beside Sun et al.'s published numbers, and one row per
simulated-user run (runs/*simulate-*/results.json), for docs/simulator.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from eval.sat_eval import PUBLISHED, SELECTED, SUN_SELECTED


def _f(x) -> str:
    return "" if x is None else f"{x:.3f}".replace("0.", ".", 1) if isinstance(x, float) and 0 <= x < 1 else (
        f"{x:.3f}" if isinstance(x, float) else str(x))


def uss_table(root: Path) -> str:
    lines = ["| domain | protocol | system | UAR | kappa | rho | F1 (dissat.) | macro-F1 | UAR (3 cl.) | kappa (3 cl.) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for path in sorted(root.glob("*sat-*/results.json")):
        res = json.loads(path.read_text())
        m = res["metrics"]
        for row in res.get("table", []):
            name = row["system"]
            if "Sun et al. 2021" in name or name.startswith("HiGRU /") or "action" in name:
                continue
            if "uar" not in row:
                continue
            label = {SELECTED: "ours, epoch chosen on validation",
                     SUN_SELECTED: "ours, per-metric best epoch on the test folds (Sun et al.'s selection)"}.get(name, name)
            lines.append(f"| {m['domain']} | {m['protocol']} ({path.parent.name}) | {label} | " + " | ".join(
                _f(row.get(k)) for k in ("uar", "kappa", "rho", "f1_dissat", "macro_f1", "uar3", "kappa3")) + " |")
    for domain, models in PUBLISHED.items():
        for model, (u, k, r, f1) in models.items():
            lines.append(f"| {domain} | paper | {model} (Sun et al. 2021; rho not tie-aware, test-fold selection) | "
                         f"{_f(u)} | {_f(k)} | {_f(r)} | {_f(f1)} | | | |")
    return "\n".join(lines)


def action_table(root: Path) -> str:
    lines = ["| domain | protocol | system | action accuracy |", "|---|---|---|---|"]
    for path in sorted(root.glob("*sat-*/results.json")):
        res = json.loads(path.read_text())
        for row in res.get("table", []):
            if row.get("action_acc") is not None:
                lines.append(f"| {res['metrics']['domain']} | {res['metrics']['protocol']} | {row['system']} | {_f(row['action_acc'])} |")
    return "\n".join(lines)


def simulate_table(root: Path) -> str:
    keys = ("success@1", "success@10", "turns_to_success", "recall@1", "recall@10", "recall@50", "rec_only_recall@10",
            "rec_only_recall@50", "sat_per_dialogue", "sat_success", "sat_failure", "leaks", "seeker_messages_checked",
            "seconds_this_invocation")
    lines = ["| run | recommender | llm | " + " | ".join(keys) + " |", "|" + "---|" * (len(keys) + 3)]
    for path in sorted(root.glob("*simulate-*/results.json")):
        m = json.loads(path.read_text())["metrics"]
        lines.append(f"| {path.parent.name} | {m.get('recommender')} | {m.get('llm')} | " + " | ".join(_f(m.get(k)) for k in keys) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    root = Path((argv or sys.argv[1:] or ["runs"])[0])
    print("## USS\n\n" + uss_table(root) + "\n\n## Actions\n\n" + action_table(root) + "\n\n## Simulated users\n\n"
          + simulate_table(root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
