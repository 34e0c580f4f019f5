"""The Python steps of scripts/device_run.sh: benchmark, test-split evaluation of the sweep's
choice, and collecting at most 8 result files (16 MiB each) into $OUT.

    python3 scripts/device_jobs.py bench   --work /tmp/crs [--smoke]
    python3 scripts/device_jobs.py eval    --work /tmp/crs --sweep-dir DIR [--smoke]
    python3 scripts/device_jobs.py collect --work /tmp/crs --sweep-dir DIR --out $OUT
"""

from __future__ import annotations

import argparse
import json
import tarfile
from pathlib import Path

PART_BYTES = 15 * 2**20  # a returned file may be 16 MiB at most


def bench(work: Path, smoke: bool) -> dict:
    from crs.recommenders.kg import default_checkpoint
    from eval.bench_rec import run_bench

    model = None
    if (default_checkpoint() / "config.json").exists():
        from crs.recommenders import load_recommender

        model = load_recommender("kg")
    kw = dict(n_users=64, batch_sizes=(1, 16), synthetic_items=20_000, n_queries=64, query_batch=32, n_clusters=50,
              warmup=1, min_iters=3) if smoke else dict(n_users=2048, batch_sizes=(1, 256), synthetic_items=1_000_000)
    res = run_bench(model=model, out=work / "runs" / "bench", hnsw=False, **kw)
    return {k: res[k] for k in ("catalogue", "synthetic", "markdown", "meta")}


def evaluate(work: Path, sweep_dir: Path, smoke: bool) -> dict:
    from eval.rec_eval import evaluate_recommender

    best = json.loads((sweep_dir / "best.json").read_text())["run"]
    ckpt = sweep_dir / best
    limit = 200 if smoke else None
    out = {"checkpoint": str(ckpt), "run": best, "split": "test", "limit": limit, "results": {}}
    for model in ("kg-base", "kg", "popularity"):
        for protocol in ("crslab", "new-items"):
            res = evaluate_recommender(model, protocol=protocol, limit=limit, progress=False,
                                       checkpoint=str(ckpt) if model.startswith("kg") else None,
                                       out=work / "runs" / f"eval-{model}-{protocol}")
            out["results"][f"{model}/{protocol}"] = {k: v for k, v in res.items() if k != "run_dir"}
            print(f"[eval] {model} {protocol}: " + " ".join(f"{k} {res[k]:.4f}" for k in
                                                           ("recall@1", "recall@10", "recall@50", "coverage@50")))
    (work / "runs" / "eval.json").write_text(json.dumps(out, indent=1))
    return out


def collect(work: Path, sweep_dir: Path, out: Path) -> list[str]:
    """results.json + summary.md + the chosen model as .tar parts of 15 MiB (run.log is already there)."""
    out.mkdir(parents=True, exist_ok=True)
    results, md = {}, ["# GPU run", ""]
    bench_json = work / "runs" / "bench" / "results.json"
    if bench_json.exists():
        results["bench"] = json.loads(bench_json.read_text())
        md += ["## crs bench rec", "", (work / "runs" / "bench" / "results.md").read_text(), ""]
    if (sweep_dir / "sweep.jsonl").exists():
        results["sweep"] = [json.loads(line) for line in (sweep_dir / "sweep.jsonl").read_text().splitlines()]
        results["sweep_best"] = json.loads((sweep_dir / "best.json").read_text())
        md += ["## Sweep (validation only)", "", (sweep_dir / "results.md").read_text(), "",
               "best.yaml:", "```yaml", (sweep_dir / "best.yaml").read_text(), "```", ""]
    if (work / "runs" / "eval.json").exists():
        ev = json.loads((work / "runs" / "eval.json").read_text())
        results["eval"] = ev
        keys = ("recall@1", "recall@10", "recall@50", "ndcg@10", "mrr@10", "coverage@10", "coverage@50", "arp@10",
                "novelty@10", "cold_recall@10", "cold_recall@50")
        md += [f"## Test split: {ev['run']}", "", "| model/protocol | " + " | ".join(keys) + " |",
               "|---" * (len(keys) + 1) + "|"]
        md += [f"| {name} | " + " | ".join(f"{m[k]:.3f}" for k in keys) + " |" for name, m in ev["results"].items()]
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    (out / "summary.md").write_text("\n".join(md) + "\n")
    written = ["results.json", "summary.md"]
    best = results.get("sweep_best", {}).get("run")
    if best:
        work.mkdir(parents=True, exist_ok=True)
        tar_path = work / "best_model.tar"
        with tarfile.open(tar_path, "w") as tar:
            for f in ("config.json", "model.safetensors", "fusion.json", "training.json"):
                if (sweep_dir / best / f).exists():
                    tar.add(sweep_dir / best / f, arcname=f"{best}/{f}")
            tar.add(sweep_dir / "best.yaml", arcname="best.yaml")
        blob = tar_path.read_bytes()
        for i in range(0, len(blob), PART_BYTES):
            name = f"best_model.tar.part{i // PART_BYTES}"
            (out / name).write_bytes(blob[i:i + PART_BYTES])
            written.append(name)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=("bench", "eval", "collect"))
    ap.add_argument("--work", default="/tmp/crs")
    ap.add_argument("--sweep-dir")
    ap.add_argument("--out")
    ap.add_argument("--smoke", action="store_true", help="tiny settings (the CPU fallback check)")
    a = ap.parse_args(argv)
    work = Path(a.work)
    if a.step == "bench":
        print(bench(work, a.smoke)["markdown"])
    elif a.step == "eval":
        evaluate(work, Path(a.sweep_dir), a.smoke)
    else:
        print(collect(work, Path(a.sweep_dir), Path(a.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
