"""Recall, NDCG and MRR at k as a Hugging Face ``evaluate`` metric module, wrapping ``crs.metrics``.

Load it offline by path from the repository root::

    import evaluate
    metric = evaluate.load("eval/hf_metrics/ranking_at_k")
    metric.compute(predictions=[[3, 1, 2]], references=[[1]], k=[1, 10])
    # {'recall@1': 0.0, 'ndcg@1': 0.0, 'mrr@1': 0.0, 'recall@10': 1.0, 'ndcg@10': 0.63..., 'mrr@10': 0.5, 'count': 1}

``predictions`` are ranked item ids (best first), ``references`` the target ids of each
example. Each score is the mean over examples of ``crs.metrics``' per-example value (the same code as
`crs eval rec`).
"""

import sys
from pathlib import Path

import datasets
import evaluate

# ``evaluate`` copies this file into its cache, so find the repository by the working
# directory when the ``crs`` package is not installed (``pip install -e .`` installs it).
try:
    from crs.metrics import mrr_at_k, ndcg_at_k, recall_at_k
except ImportError:  # pragma: no cover - depends on how the repo is installed
    for _root in (Path.cwd(), *Path.cwd().parents):
        if (_root / "crs" / "metrics.py").is_file():
            sys.path.insert(0, str(_root))
            break
    from crs.metrics import mrr_at_k, ndcg_at_k, recall_at_k

_CITATION = """\
@inproceedings{zhou2021crslab,
  title={CRSLab: An Open-Source Toolkit for Building Conversational Recommender System},
  author={Zhou, Kun and Wang, Xiaolei and Zhou, Yuanhang and others},
  booktitle={ACL: System Demonstrations},
  year={2021}
}
"""

_DESCRIPTION = "Recall@k (CRSLab hit@k for a single target), NDCG@k and MRR@k of ranked item lists."

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of ranked item-id lists (best first).
    references: list of target item-id lists (one list per example).
    k: an int or a list of ints (default 10).
Returns:
    {"recall@<k>", "ndcg@<k>", "mrr@<k>": means over examples, ..., "count": number of examples}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class RankingAtK(evaluate.Metric):
    """Mean recall, NDCG and MRR at k over examples."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("int64")),
                    "references": datasets.Sequence(datasets.Value("int64")),
                }
            ),
        )

    def _compute(self, predictions, references, k=10):
        ks = [k] if isinstance(k, int) else list(k)
        n = len(predictions)
        out = {}
        for kk in ks:
            for name, fn in (("recall", recall_at_k), ("ndcg", ndcg_at_k), ("mrr", mrr_at_k)):
                vals = [fn(p, r, kk) for p, r in zip(predictions, references)]
                out[f"{name}@{kk}"] = float(sum(vals) / n) if n else 0.0
        out["count"] = n
        return out
