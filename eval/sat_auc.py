"""Does estimated satisfaction separate successful from failed simulated conversations?

`python -m eval.sat_auc RUN_DIR [RUN_DIR ...] [--out DIR]`

Reads each run's ``dialogues.jsonl`` (written by `crs eval simulate`) and reports the AUC of
the *final-turn* estimated satisfaction (the last entry of ``sat_per_turn``: the rating the
estimator predicts after the system's last reply) against conversation success, per run and
pooled, with a bootstrap 95 % CI over dialogues. Beside it: the dialogue mean
(``sat_dialogue``) and the end-of-dialogue score (``sat_overall``: the estimator's prediction
after the whole transcript, which includes the seeker's last message, its verdict).

Two further scores, so that no definition hides another:

* **final-exchange sat** (``sat_exchange_final``): the rating of the last exchange (the system's
  last reply and the seeker's answer) by the exchange estimator, which reads the answer as the
  USS annotators did (configs/sat/exchange.yaml). ``--rescore-exchange MODEL`` scores old runs.
* **shortness**: minus the number of seeker messages, a reference that reads no text at all
  (successful seekers stop early), to show how much of an AUC the dialogue length alone gives.

Success is recomputed here from the transcript, independently of the rollout's own flags and
of the seeker: a dialogue succeeded when its target id is among the first 10 cards of any
system turn (``--k`` changes 10). The AUC is the Mann-Whitney probability, ties counted half.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def auc(scores, labels) -> float:
    """P(score of a random positive > score of a random negative), ties counting 1/2."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    pos, neg = s[y], s[~y]
    if pos.size == 0 or neg.size == 0:
        raise ValueError("AUC needs at least one successful and one failed dialogue")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    allv = np.concatenate([pos, neg])[order]
    ranks = np.empty(allv.size)
    i = 0
    while i < allv.size:  # average ranks over ties
        j = i
        while j + 1 < allv.size and allv[j + 1] == allv[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    r = np.empty(allv.size)
    r[order] = ranks
    return float((r[:pos.size].sum() - pos.size * (pos.size + 1) / 2) / (pos.size * neg.size))


def bootstrap_ci(scores, labels, n: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile 95 % CI of the AUC, resampling dialogues (resamples with one class only are skipped)."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n):
        idx = rng.integers(0, s.size, s.size)
        if y[idx].all() or not y[idx].any():
            continue
        vals.append(auc(s[idx], y[idx]))
    return float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))


def succeeded(record: dict, k: int = 10) -> bool:
    """The target is among the first k cards of some system turn of the transcript."""
    target = record["target"]
    return any(target in (turn.get("cards") or [])[:k] for turn in record["log"])


def read_run(run_dir: str | Path, k: int = 10, model=None, exchange=None) -> dict[str, np.ndarray]:
    """Per-dialogue final-turn / mean / overall / final-exchange satisfaction, shortness and
    recomputed success of one run. With ``model`` / ``exchange`` (loaded estimators) the
    transcripts are scored again by the rollout's own scoring functions, so a new estimator is
    measured on the same conversations."""
    path = Path(run_dir) / "dialogues.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: pass a `crs eval simulate` run folder")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if model is not None or exchange is not None:
        from simulator.rollout import log_satisfaction

        rows = [{**r, **log_satisfaction(r["log"], model, exchange)} for r in rows]
    rows = [r for r in rows if r.get("sat_per_turn")]
    if not rows:
        raise ValueError(f"{path}: no dialogue has sat_per_turn (was a satisfaction model loaded?)")
    return {"final": np.array([r["sat_per_turn"][-1] for r in rows]),
            "mean": np.array([r["sat_dialogue"] for r in rows]),
            "overall": np.array([r.get("sat_overall", np.nan) for r in rows]),
            "exchange": np.array([r.get("sat_exchange_final") or np.nan for r in rows]),
            "shortness": -np.array([len(r["log"]) for r in rows], dtype=float),
            "success": np.array([succeeded(r, k) for r in rows])}


def summarise(data: dict[str, np.ndarray]) -> dict:
    y = data["success"]
    out = {"n": int(y.size), "successes": int(y.sum()),
           "final_sat_success": float(data["final"][y].mean()) if y.any() else None,
           "final_sat_failure": float(data["final"][~y].mean()) if (~y).any() else None}
    for key in ("final", "mean", "overall", "exchange", "shortness"):
        if y.all() or not y.any() or np.isnan(data[key]).any():
            continue
        out[f"auc_{key}"] = auc(data[key], y)
        out[f"auc_{key}_ci"] = bootstrap_ci(data[key], y)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.sat_auc", description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", help="`crs eval simulate` run folders")
    ap.add_argument("--k", type=int, default=10, help="success: target among the first k cards of a turn")
    ap.add_argument("--out", help="write results.json / results.md here")
    ap.add_argument("--rescore", metavar="MODEL_DIR",
                    help="score the transcripts again with this estimator (default: the scores in the run)")
    ap.add_argument("--rescore-exchange", metavar="MODEL_DIR",
                    help="score the final exchanges again with this exchange estimator (configs/sat/exchange.yaml)")
    args = ap.parse_args(argv)
    model = exchange = None
    if args.rescore or args.rescore_exchange:
        import torch

        from simulator.sat_model import SatModel

        torch.set_num_threads(1)
        model = SatModel.from_pretrained(args.rescore) if args.rescore else None
        exchange = SatModel.from_pretrained(args.rescore_exchange) if args.rescore_exchange else None
    per_run = {str(r): read_run(r, args.k, model, exchange) for r in args.runs}
    pooled = {k: np.concatenate([d[k] for d in per_run.values()])
              for k in ("final", "mean", "overall", "exchange", "shortness", "success")}
    res = {"k": args.k, "estimator": args.rescore or "as recorded in the runs",
           "exchange_estimator": args.rescore_exchange or "as recorded in the runs",
           "runs": {r: summarise(d) for r, d in per_run.items()}, "pooled": summarise(pooled)}
    lines = ["| run | n | successes | AUC final-turn sat [95 % CI] | AUC mean sat | AUC end-of-dialogue sat [95 % CI] "
             "| AUC final-exchange sat [95 % CI] | AUC shortness | final sat, success / failure |",
             "|---|---|---|---|---|---|---|---|---|"]

    def cell(m, key):
        ci = m.get(f"auc_{key}_ci", (np.nan, np.nan))
        return f"{m.get(f'auc_{key}', np.nan):.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"

    for name, m in [*res["runs"].items(), ("pooled", res["pooled"])]:
        lines.append(f"| {name} | {m['n']} | {m['successes']} | {cell(m, 'final')} | {m.get('auc_mean', np.nan):.3f} "
                     f"| {cell(m, 'overall')} | {cell(m, 'exchange')} | {m.get('auc_shortness', np.nan):.3f} "
                     f"| {m['final_sat_success'] or np.nan:.3f} / {m['final_sat_failure'] or np.nan:.3f} |")
    print("\n".join(lines))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(res, indent=1))
        (out / "results.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
