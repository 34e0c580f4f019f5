"""Validity of the simulated-user evaluation: `python -m eval.sim_validity RUN_DIR ... [--out FILE]`.

Reads the ``dialogues.jsonl`` of several `crs eval simulate` runs over the same seekers, and
reports per system the success rates with percentile bootstrap CIs (seekers resampled, paired
across systems), and Kendall's tau-b between the simulator's order of the systems and their
**offline** order (ReDial test, crslab protocol, Recall@10 from `crs eval rec`; README), with a
bootstrap CI, plus how often random is strictly last. The primary simulator metric, fixed before
the runs, is success@10; success@1 and the recommender-only R@10 are reported beside it.
Seed 0, 1,000 resamples.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

# Offline crslab Recall@10 on ReDial test (README "Recommendation" table, `crs eval rec`); random is
# the exact expectation 10 / 6,730 movies.
OFFLINE_R10 = {"random": 10 / 6730, "popularity": 0.065, "text": 0.065, "kg-base": 0.151, "kg": 0.226}
METRICS = ("success@10", "success@1", "rec_only_recall@10")


def load_runs(runs: list[str]) -> dict[str, dict[str, dict]]:
    out = {}
    for run in runs:
        meta = json.loads(Path(run, "results.json").read_text())
        name = (meta.get("metrics", meta)).get("system") or Path(run).name
        recs = [json.loads(x) for x in Path(run, "dialogues.jsonl").read_text().splitlines() if x.strip()]
        out[name] = {r["dialogue_id"]: r for r in recs}
    return out


def kendall_tau_b(x, y) -> float:
    from scipy.stats import kendalltau

    t = kendalltau(x, y).statistic
    return float(t) if t == t else 0.0


def validity(runs: dict[str, dict[str, dict]], offline: dict[str, float], n_boot: int = 1000, seed: int = 0) -> dict:
    systems = [s for s in runs if s in offline]
    ids = sorted(set.intersection(*(set(runs[s]) for s in systems)))
    mat = {m: np.array([[float(runs[s][i].get(m, 0.0)) for i in ids] for s in systems]) for m in METRICS}
    off = [offline[s] for s in systems]
    rng = np.random.default_rng(seed)
    boots = [rng.integers(0, len(ids), len(ids)) for _ in range(n_boot)]
    res = {"seekers": len(ids), "systems": systems, "offline_recall@10": dict(zip(systems, off)),
           "bootstrap": {"resamples": n_boot, "seed": seed}, "per_system": {}, "kendall_tau_b": {}}
    for m, a in mat.items():
        means = a.mean(1)
        bm = np.stack([a[:, b].mean(1) for b in boots])  # [n_boot, systems]
        for j, s in enumerate(systems):
            lo, hi = np.percentile(bm[:, j], [2.5, 97.5])
            res["per_system"].setdefault(s, {})[m] = {"mean": float(means[j]), "ci95": [float(lo), float(hi)]}
        taus = np.array([kendall_tau_b(row, off) for row in bm])
        entry = {"tau": kendall_tau_b(means, off), "ci95": [float(x) for x in np.percentile(taus, [2.5, 97.5])]}
        if "random" in systems:
            r = systems.index("random")
            others = [j for j in range(len(systems)) if j != r]
            entry["random_strictly_last_share"] = float(np.mean([row[r] < row[others].min() for row in bm]))
            gap = bm[:, others].min(1) - bm[:, r]
            entry["gap_to_next_ci95"] = [float(x) for x in np.percentile(gap, [2.5, 97.5])]
        res["kendall_tau_b"][m] = entry
    return res


def markdown(res: dict) -> str:
    f = lambda d: f"{d['mean']:.3f} [{d['ci95'][0]:.3f}, {d['ci95'][1]:.3f}]"  # noqa: E731
    lines = ["| system | offline R@10 | success@10 [95% CI] | success@1 [95% CI] | rec-only R@10 [95% CI] |",
             "|---|---|---|---|---|"]
    for s in sorted(res["systems"], key=lambda s: res["offline_recall@10"][s]):
        p = res["per_system"][s]
        lines.append(f"| {s} | {res['offline_recall@10'][s]:.3f} | {f(p['success@10'])} | {f(p['success@1'])} | "
                     f"{f(p['rec_only_recall@10'])} |")
    lines += ["", "| simulator metric | Kendall tau-b vs offline R@10 [95% CI] | random strictly last (share of resamples) "
              "| next system minus random [95% CI] |", "|---|---|---|---|"]
    for m, e in res["kendall_tau_b"].items():
        gap = e.get("gap_to_next_ci95", [float("nan")] * 2)
        lines.append(f"| {m} | {e['tau']:.2f} [{e['ci95'][0]:.2f}, {e['ci95'][1]:.2f}] | "
                     f"{e.get('random_strictly_last_share', float('nan')):.2f} | [{gap[0]:.3f}, {gap[1]:.3f}] |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--out", help="write the JSON here (and .md beside it)")
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    res = validity(load_runs(args.runs), OFFLINE_R10, args.n_boot, args.seed)
    md = markdown(res)
    print(f"{res['seekers']} seekers\n{md}")
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1))
        Path(args.out).with_suffix(".md").write_text(md + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
