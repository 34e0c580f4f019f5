"""The `crs` command: data, evaluation, chat, the app, and one-time preparation."""

from __future__ import annotations

import argparse
import json
import os
import sys

# Offline by default: nothing may reach a model hub at run time.
for _k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_k, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def _add_llm_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--llm", default="smollm2", help="LLM backend: smollm2 (default), hf, openai, tiny")
    p.add_argument("--model-dir", help="Hugging Face model folder (with --llm hf)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (with --llm openai)")
    p.add_argument("--model", dest="llm_model", help="model name at the endpoint (with --llm openai)")
    p.add_argument("--adapter", default="auto",
                   help="item-language adapter: auto ($CRS_HOME/ilm/cpu-stage2 if trained), none, or a folder")
    p.add_argument("--recommender", default="auto",
                   help="recommender: auto (the trained kg model if present, else text), kg, text, popularity")


def _llm_kwargs(args) -> dict:
    if args.llm == "hf":
        if not args.model_dir:
            raise SystemExit("error: --llm hf needs --model-dir PATH")
        return {"model_dir": args.model_dir}
    if args.llm == "openai":
        if not (args.base_url and args.llm_model):
            raise SystemExit("error: --llm openai needs --base-url URL and --model NAME")
        return {"base_url": args.base_url, "model": args.llm_model}
    return {}


def cmd_data_check(args) -> int:
    from crs.data.check import check_all, format_reports

    reports = check_all(strict=args.strict, verify_hashes=not args.no_hash)
    print(format_reports(reports))
    ok = all(r.ok for r in reports)
    print("\nall datasets ok" if ok else "\nsome datasets FAILED (see errors above)")
    return 0 if ok else 1


def cmd_eval_link(args) -> int:
    if args.movies:
        from eval.title_bench import evaluate_titles, format_report

        res = evaluate_titles(split=args.split, limit=args.limit, out=args.out, seed=args.seed,
                              adversarial=args.adversarial)
        print(format_report(res))
        print(f"results: {res['run_dir']}")
        return 0
    from eval.link_eval import evaluate_linker

    res = evaluate_linker(out=args.out, limit=args.limit)
    print(json.dumps(res, indent=2))
    return 0


def cmd_eval_scripted(args) -> int:
    from pathlib import Path

    from crs.dialogue.factory import build_manager
    from crs.dialogue.manager import ManagerConfig
    from eval.scripted import run_scripted

    manager = build_manager(args.llm, args.recommender, _llm_kwargs(args), ManagerConfig(adapter=args.adapter))
    out = Path(args.out)
    n = run_scripted(manager, out / "transcripts.jsonl")
    print(f"{n} turns written to {out / 'transcripts.jsonl'}; audit them with "
          f"`crs eval replies --transcripts {out / 'transcripts.jsonl'}`")
    return 0


def cmd_eval_replies(args) -> int:
    from pathlib import Path

    from eval.reply_audit import evaluate_replies

    if not Path(args.transcripts).is_file():
        print(f"error: no transcripts file at {args.transcripts}", file=sys.stderr)
        return 2
    res = evaluate_replies(args.transcripts, out=args.out)
    print(json.dumps(res, indent=2, ensure_ascii=False))
    return 0


def cmd_eval_rec(args) -> int:
    from eval.rec_eval import evaluate_recommender

    res = evaluate_recommender(args.model, split=args.split, protocol=args.protocol, out=args.out,
                               batch_size=args.batch_size, limit=args.limit, seed=args.seed,
                               checkpoint=args.checkpoint, fit_fusion=args.fit_fusion)
    print(json.dumps(res, indent=2))
    return 0


def cmd_eval_sat(args) -> int:
    from eval.sat_eval import evaluate_sat

    res = evaluate_sat(args.domain, args.protocol, out=args.out, config=args.config, folds=args.folds, limit=args.limit)
    print(json.dumps(res, indent=2))
    return 0


def cmd_eval_simulate(args) -> int:
    from eval.simulate import simulate

    res = simulate(args.system, n=args.n, turns=args.turns, out=args.out, workers=args.workers, seed=args.seed,
                   sat_dir=args.sat_model)
    print(json.dumps(res, indent=2))
    return 0 if res.get("leaks", 0) == 0 else 1


def cmd_eval_conv(args) -> int:
    from eval.conv_eval import evaluate_conversation

    res = evaluate_conversation(out=args.out, adapter=args.adapter, ablations=args.ablation, stage1=args.stage1,
                                limit=args.limit, gen_limit=args.gen_limit, seed=args.seed, boe_weight=args.boe_weight)
    print(json.dumps(res, indent=2))
    return 0


def _forward(module: str, args) -> int:
    """Hand the remaining arguments to a training script's own parser (it has its own --help)."""
    import importlib

    return importlib.import_module(module).main(args.rest)


def cmd_bench_rec(args) -> int:
    from eval.bench_rec import run_bench

    model = None
    if args.model == "kg":
        from crs.recommenders.kg import default_checkpoint

        if (default_checkpoint() / "config.json").exists():
            from crs.recommenders import load_recommender

            model = load_recommender("kg")
        else:
            print("no trained KG recommender found; benchmarking random item vectors of the same shape")
    run_bench(model=model, synthetic_items=args.synthetic_items, device=args.device, out=args.out)
    return 0


def cmd_eval_music(args) -> int:
    from eval.music_eval import evaluate_music

    res = evaluate_music(config=args.config, out=args.out, llm=args.llm, explanations=args.explanations,
                         skip_latency=args.no_latency)
    print(json.dumps({k: v for k, v in res.items() if k != "scorer"}, indent=2))
    return 0


def cmd_music_recommend(args) -> int:
    from crs.music.session import MusicEngine, MusicSession
    from crs.music.video import VideoError

    engine = MusicEngine.shared(args.config, llm=args.llm, user_dir=args.audio_dir)
    session = MusicSession(engine)
    try:
        pick = session.start(args.video)
    except VideoError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    picks = [pick]
    for fb in args.feedback or []:
        picks.append(session.refine(fb))
    if args.json:
        print(json.dumps({"video": session.state.profile.to_dict(), "picks": [p.to_dict() for p in picks]}, indent=2))
        return 0
    print(f"video: {session.state.profile.summary()} "
          f"(energy {session.state.profile.energy:.2f}, valence {session.state.profile.valence:.2f})")
    for p in picks:
        head = "pick" if p.turn == 1 else f"refined (\"{p.feedback}\")" if p.feedback else "refined"
        print(f"\n{head}: {p.item.title}  {p.item.url}\n  caption: {p.item.caption}\n  why: {p.reason.text}")
    return 0


def cmd_music_train(args) -> int:
    from crs.music.train import main as train_main

    return train_main(["--config", args.config] + (["--force"] if args.force else []))


def cmd_chat(args) -> int:
    from apps.terminal import chat_loop
    from crs.dialogue.factory import build_manager, fallback_notice
    from crs.dialogue.manager import ManagerConfig

    notice = fallback_notice(args.recommender)
    if notice:
        print(f"[warning] {notice}", file=sys.stderr, flush=True)
    manager = build_manager(args.llm, args.recommender, _llm_kwargs(args), ManagerConfig(adapter=args.adapter))
    return chat_loop(manager, messages=args.message)


def cmd_app(args) -> int:
    from apps.gradio_app import launch
    from apps.security import AuthError, parse_auth

    try:
        auth = parse_auth(args.auth or os.environ.get("CRS_APP_AUTH"))
    except AuthError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    launch(host=args.host, port=args.port, llm=args.llm, recommender=args.recommender, llm_kwargs=_llm_kwargs(args),
           adapter=args.adapter, auth=auth, db=args.db, max_running=args.max_running, max_waiting=args.max_waiting,
           batch=not args.no_batch, llm_threads=args.llm_threads, llm_dtype=args.llm_dtype,
           prefill_threads=args.prefill_threads, split_prefill=False if args.no_prefill_thread else None)
    return 0


def cmd_feedback_export(args) -> int:
    from crs.store import ConversationStore, StoreError
    from crs.store.export import export_feedback

    try:
        n = export_feedback(ConversationStore(args.db), args.out)
    except StoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{n} ratings written to {args.out or 'stdout'}", file=sys.stderr)
    return 0


def cmd_bench_app(args) -> int:
    from eval.bench_app import run_bench

    res = run_bench(llm=args.llm, recommender=args.recommender, clients=args.clients, single=args.single, out=args.out,
                    server_args=(["--no-batch"] if args.no_batch else [])
                    + (["--no-prefill-thread"] if args.no_prefill_thread else [])
                    + (["--prefill-threads", str(args.prefill_threads)] if args.prefill_threads else []))
    print(json.dumps(res, indent=2))
    return 0


def cmd_prepare(args) -> int:
    from apps.prepare import prepare

    timings = prepare(llm=not args.skip_llm, train_rec=not args.skip_train, music=not args.skip_music,
                      retrain=args.retrain)
    if args.timings:
        from pathlib import Path

        Path(args.timings).write_text(json.dumps(timings, indent=2) + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crs", description="Conversational movie recommender: data, evaluation, chat, app.")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="dataset tools").add_subparsers(dest="data_command", required=True)
    p = data.add_parser("check", help="load every dataset, print counts, verify hashes; non-zero exit on problems")
    p.add_argument("--strict", action="store_true", help="treat any skipped line as a failure")
    p.add_argument("--no-hash", action="store_true", help="skip the sha256 comparison with data/manifest.json")
    p.set_defaults(func=cmd_data_check)

    ev = sub.add_parser("eval", help="evaluation runs").add_subparsers(dest="eval_command", required=True)
    p = ev.add_parser("link", help="entity linker against tmdkg/utterance_entities.jsonl (P/R/F1); "
                      "--movies: movie-title recognition (rendered ReDial titles + adversarial set)")
    p.add_argument("--out", help="run directory (default runs/<date>-link, with --movies runs/<date>-link-movies-<split>)")
    p.add_argument("--limit", type=int, help="only the first N utterances (--movies: N with titles and N movie-free)")
    p.add_argument("--movies", action="store_true",
                   help="movie-title benchmark: ReDial @ids rendered as typed titles, movie-free messages, "
                        "tests/fixtures/title_adversarial.jsonl")
    p.add_argument("--split", default="valid", choices=["train", "valid", "test"],
                   help="ReDial split for --movies (valid: fixed seeded slice of train; test: official, report only)")
    p.add_argument("--seed", type=int, default=0, help="rendering seed for --movies")
    p.add_argument("--adversarial", metavar="PATH",
                   help="adversarial case file for --movies (default tests/fixtures/title_adversarial.jsonl; "
                        "held-out set: tests/fixtures/title_adversarial_heldout.jsonl)")
    p.set_defaults(func=cmd_eval_link)
    p = ev.add_parser("scripted", help="replay tests/fixtures/scripted_conversations.yaml with an LLM; write transcripts")
    p.add_argument("--out", required=True, help="run directory (transcripts.jsonl; resumable)")
    _add_llm_args(p)
    p.set_defaults(func=cmd_eval_scripted)
    p = ev.add_parser("replies", help="LLM sentences: share the post-check kept, share of kept ones with a factual error")
    p.add_argument("--transcripts", required=True,
                   help='JSONL of turns ({"kept": [...], "dropped": [...], "cards": [items]}) or a simulator dialogues.jsonl')
    p.add_argument("--out", help="run directory (default runs/<date>-replies)")
    p.set_defaults(func=cmd_eval_replies)
    p = ev.add_parser("rec", help="ReDial recommendation: Recall/NDCG/MRR@1/10/50 over all movies")
    from crs.recommenders import REGISTRY

    p.add_argument("--model", default="popularity", choices=sorted(REGISTRY), help="registered recommender")
    p.add_argument("--split", default="test", choices=["test", "valid"], help="ReDial split (test = official test)")
    p.add_argument("--protocol", default="crslab", choices=["crslab", "new-items"],
                   help="crslab: all movies in the turn; new-items: movies not mentioned before (KECRS)")
    p.add_argument("--out", help="run directory (default runs/<date>-rec-<model>-<protocol>)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--limit", type=int, help="only the first N recommender turns (smoke runs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint", help="saved model folder for trained recommenders (default: $CRS_HOME/rec/kg-default)")
    p.add_argument("--fit-fusion", action="store_true",
                   help="fit the copy + co-mention fusion for this model on valid first (baselines; kg has its own)")
    p.set_defaults(func=cmd_eval_rec)

    p = ev.add_parser("sat", help="USS satisfaction estimator: 10-fold CV (UAR, kappa, Spearman, F1, action accuracy)")
    p.add_argument("--domain", default="ReDial", choices=["SGD", "MWOZ", "ReDial", "CCPE", "ReDial-action"])
    p.add_argument("--protocol", default="clean", choices=["sun", "clean"],
                   help="clean: epoch chosen on the validation fold; sun: also Sun et al.'s per-metric best epoch on "
                        "the test fold (like-for-like with the published numbers)")
    p.add_argument("--config", default="configs/sat/default.yaml", help="model and training config (configs/sat/)")
    p.add_argument("--folds", type=int, default=10)
    p.add_argument("--limit", type=int, help="only the first N dialogues (smoke runs)")
    p.add_argument("--out", help="run directory (default runs/<date>-sat-<domain>-<protocol>)")
    p.set_defaults(func=cmd_eval_sat)
    p = ev.add_parser("simulate", help="simulated seekers from ReDial test talk to a system (success@k, satisfaction, leaks)")
    p.add_argument("--system", default="configs/systems/default.yaml", help="system config (configs/systems/)")
    p.add_argument("--n", type=int, default=200, help="number of seekers")
    p.add_argument("--turns", type=int, default=5, help="turn limit per dialogue")
    p.add_argument("--workers", type=int, default=2, help="worker processes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sat-model", help="satisfaction model folder (default $CRS_HOME/sat/default, from `crs train sat`)")
    p.add_argument("--out", help="run directory, resumable (default runs/<date>-simulate-<system>)")
    p.set_defaults(func=cmd_eval_simulate)

    p = ev.add_parser("music", help="video-to-music on held-out clips: turn-2 Recall@1/5/10, median rank, grounding")
    p.add_argument("--out", help="run directory (default runs/<date>-music)")
    p.add_argument("--config", default="default", help="configs/music/<name>.yaml or a path")
    p.add_argument("--llm", help="LLM that writes the reasons (default: the config's, smollm2)")
    p.add_argument("--explanations", type=int, help="how many held-out picks get an LLM reason (default: config)")
    p.add_argument("--no-latency", action="store_true", help="skip the 30-second-video latency measurement")
    p.set_defaults(func=cmd_eval_music)

    p = ev.add_parser("conv", help="ILM adapter on ReDial test: perplexity vs baselines, Distinct/BLEU/item ratio, retrieval")
    p.add_argument("--out", help="run directory (default runs/<date>-conv)")
    p.add_argument("--adapter", help="stage-2 adapter folder (default $CRS_HOME/ilm/cpu-stage2)")
    p.add_argument("--ablation", action="append", help="another stage-2 adapter to compare (repeatable), e.g. BOE off")
    p.add_argument("--stage1", help="stage-1 adapter for the retrieval evaluation (default $CRS_HOME/ilm/cpu-stage1)")
    p.add_argument("--limit", type=int, default=200, help="fixed random subset of test recommender turns (perplexity)")
    p.add_argument("--gen-limit", type=int, default=20, help="of those, how many replies are generated")
    p.add_argument("--boe-weight", type=float, default=0.1, help="BOE-guided decoding weight (KECRS: 0.1)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_eval_conv)

    tr = sub.add_parser("train", help="training scripts").add_subparsers(dest="train_command", required=True)
    p = tr.add_parser("rec", help="train the KG recommender (resumable; see configs/rec/)", add_help=False)
    p.set_defaults(func=lambda a: _forward("crs.training.train_rec", a))
    p = tr.add_parser("ilm", help="train the item-language adapter, --stage 1 or 2 (resumable; see configs/ilm/)",
                      add_help=False)
    p.set_defaults(func=lambda a: _forward("crs.training.train_ilm", a))
    p = tr.add_parser("sat", help="train the USS satisfaction estimator (see configs/sat/)", add_help=False)
    p.set_defaults(func=lambda a: _forward("simulator.sat_train", a))

    bench = sub.add_parser("bench", help="speed benchmarks (not tests)").add_subparsers(dest="bench_command", required=True)
    p = bench.add_parser("rec", help="ranking throughput/latency vs NumPy; FAISS vs exact top-k on 1M items")
    p.add_argument("--model", default="kg", help="recommender whose item vectors are benchmarked (falls back to random)")
    p.add_argument("--synthetic-items", type=int, default=1_000_000)
    p.add_argument("--device", default="auto")
    p.add_argument("--out", help="run directory (default runs/<date>-bench-rec)")
    p.set_defaults(func=cmd_bench_rec)
    p = bench.add_parser("app", help="app full-reply latency: one user vs N concurrent clients, in one run")
    p.add_argument("--llm", default="smollm2", help="LLM backend of the served app: smollm2 (default) or tiny")
    p.add_argument("--recommender", default="popularity")
    p.add_argument("--clients", type=int, default=10)
    p.add_argument("--single", type=int, default=4, help="single-user conversations before and after (3 turns each)")
    p.add_argument("--out", help="run directory (default runs/<date>-bench-app)")
    p.add_argument("--no-batch", action="store_true", help="serve with `crs app --no-batch` (the comparison)")
    p.add_argument("--prefill-threads", type=int, help="serve with `crs app --prefill-threads N`")
    p.add_argument("--no-prefill-thread", action="store_true", help="serve with `crs app --no-prefill-thread`")
    p.set_defaults(func=cmd_bench_app)

    mu = sub.add_parser("music", help="video-to-music: a piece for a video, refined by feedback")
    mu = mu.add_subparsers(dest="music_command", required=True)
    p = mu.add_parser("recommend", help="suggest music for VIDEO (mp4, webm, mov), then refine with --feedback")
    p.add_argument("video", help="path to a video file")
    p.add_argument("--feedback", "-f", action="append", help='what you would prefer, e.g. "more upbeat, no vocals" '
                   "(repeatable: one refinement each)")
    p.add_argument("--config", default="default", help="configs/music/<name>.yaml or a path")
    p.add_argument("--llm", help="LLM that writes the reason (default: the config's, smollm2; 'none': template)")
    p.add_argument("--audio-dir", help="a folder of your own audio files to add to the catalogue")
    p.add_argument("--json", action="store_true", help="print the video profile and picks as JSON")
    p.set_defaults(func=cmd_music_recommend)
    p = mu.add_parser("train", help="train the turn-2 fusion scorer on synthesised feedback (cached)")
    p.add_argument("--config", default="default", help="configs/music/<name>.yaml or a path")
    p.add_argument("--force", action="store_true", help="retrain even when a trained scorer exists")
    p.set_defaults(func=cmd_music_train)

    p = sub.add_parser("chat", help="chat in the terminal (same dialogue manager as the app)")
    _add_llm_args(p)
    p.add_argument("--message", "-m", action="append", help="send this message and exit (repeatable)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("app", help="launch the Gradio app")
    _add_llm_args(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", help="require a login: user:password (comma-separated for several) or @FILE "
                   "with one user:password per line; also $CRS_APP_AUTH")
    p.add_argument("--db", help="where conversations and ratings are kept: an SQLAlchemy URL, e.g. "
                   "postgresql+psycopg://user:pass@host/crs (default: $CRS_DB_URL, else sqlite under $CRS_HOME/app)")
    p.add_argument("--max-running", type=int, default=16, help="replies written at once (one LLM batch)")
    p.add_argument("--max-waiting", type=int, default=32, help="replies waiting beyond that; more are told to retry")
    p.add_argument("--no-batch", action="store_true", help="decode each reply alone (for comparison)")
    p.add_argument("--llm-threads", type=int, help="CPU threads for decoding in the batched LLM (default: CPU "
                   "cores - 1, or half of that with the prefill thread)")
    p.add_argument("--prefill-threads", type=int,
                   help="CPU threads for reading new prompts (compute-bound; default: the cores left)")
    p.add_argument("--no-prefill-thread", action="store_true",
                   help="read new prompts in the decoding thread, pausing every reply (default on a CPU with 2+ "
                   "cores: a thread of its own reads them while the batch keeps decoding)")
    p.add_argument("--llm-dtype", help="float32 or bfloat16 (default: bfloat16 on a CPU with AMX or AVX512-BF16 "
                   "when no item-language adapter is used, else the backend's default)")
    p.set_defaults(func=cmd_app)

    fb = sub.add_parser("feedback", help="stored ratings").add_subparsers(dest="feedback_command", required=True)
    p = fb.add_parser("export", help="write every like/dislike with its dialogue as JSONL (for retraining)")
    p.add_argument("--db", help="database URL (default: $CRS_DB_URL, else sqlite under $CRS_HOME/app)")
    p.add_argument("--out", help="output file (default: stdout)")
    p.set_defaults(func=cmd_feedback_export)

    p = sub.add_parser("prepare", help="check data and build cached artefacts (model conversion, embeddings)")
    p.add_argument("--skip-llm", action="store_true", help="do not convert the default LLM")
    p.add_argument("--skip-train", action="store_true",
                   help="do not train the default KG recommender (the app then uses the text recommender)")
    p.add_argument("--skip-music", action="store_true",
                   help="do not train the video-to-music scorer (the app's video tab then says to run `crs music train`)")
    p.add_argument("--retrain", action="store_true",
                   help="ignore the released weights (weights/) and train the KG recommender and music scorer here")
    p.add_argument("--timings", help="write each step's seconds as JSON to this file")
    p.set_defaults(func=cmd_prepare)

    from apps.weights import add_parser as add_weights_parser

    add_weights_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args, rest = build_parser().parse_known_args(argv)
    if getattr(args, "func", None) is not None and args.command == "train":
        args.rest = rest
    elif rest:
        build_parser().error(f"unrecognized arguments: {' '.join(rest)}")
    from crs.data.errors import DataError
    from crs.paths import DataDirError

    try:
        return args.func(args) or 0
    except (DataDirError, DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
