#!/usr/bin/env bash
# One GPU run, prepared here, run there (README, "On a GPU"). On the device machine:
#   bash scripts/device_run.sh            # all stages, about 9 minutes on an H200
#   bash scripts/device_run.sh tests bench  # some stages
# Stages: tests (gpu-marked tests), bench (crs bench rec, 1M synthetic items), sweep (configs/rec/sweep/gpu.yaml,
# selected on validation), eval (the chosen run on the test split, kg / kg-base / popularity, both protocols),
# trained (CPU vs CUDA agreement of the chosen model over all ReDial test turns), collect ($OUT: run.log,
# results.json, summary.md, best_model.tar.part*: at most 8 files of 15 MiB).
# Reads .device_payload/payload.tar.gz (scripts/device_pack.py) when present. Without CUDA it runs the
# same stages on the CPU; CRS_DEVICE_SMOKE=1 makes every stage tiny (the local check of this script).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
OUT=${OUT:-/tmp/crs-device-out}
WORK=${CRS_DEVICE_WORK:-/tmp/crs}
SMOKE=${CRS_DEVICE_SMOKE:-0}
STAGES=${*:-tests bench sweep eval trained collect}
mkdir -p "$OUT" "$WORK/runs"
LOG="$OUT/run.log"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
       TOKENIZERS_PARALLELISM=false
if [ -f .device_payload/payload.tar.gz ]; then
  $PY scripts/device_unpack.py .device_payload/payload.tar.gz "$WORK" | tee -a "$LOG"
  export CRS_DATA="$WORK/data" CRS_HOME="$WORK/home"
fi
if [ "$SMOKE" = 1 ]; then SWEEP=configs/rec/sweep/cpu-smoke.yaml; SMOKEARG=--smoke; else SWEEP=configs/rec/sweep/gpu.yaml; SMOKEARG=; fi
SWEEP_NAME=$($PY -c "import yaml,sys; print(yaml.safe_load(open(sys.argv[1]))['name'])" "$SWEEP")
SWEEP_DIR="${CRS_HOME:-$HOME/.cache/crs}/rec/$SWEEP_NAME"
step() { echo "== $(date +%T) $*" | tee -a "$LOG"; "$@" 2>&1 | tee -a "$LOG"; echo "== rc ${PIPESTATUS[0]}" | tee -a "$LOG"; }
(nvidia-smi -L || echo "no nvidia-smi: CPU") 2>&1 | tee -a "$LOG"
for s in $STAGES; do
  case $s in
    tests)   step $PY -m pytest -q -p no:cacheprovider -m gpu -rs -k "not trained_model" tests/test_ranking.py \
               tests/test_kg_serving.py tests/test_topk.py tests/test_kg_rec.py ;;
    bench)   step $PY scripts/device_jobs.py bench --work "$WORK" $SMOKEARG ;;
    sweep)   step $PY -m crs.training.train_rec --sweep "$SWEEP" --output "$SWEEP_DIR" \
               ${SWEEP_BUDGET_S:+--budget-s $SWEEP_BUDGET_S} ;;
    eval)    step $PY scripts/device_jobs.py eval --work "$WORK" --sweep-dir "$SWEEP_DIR" $SMOKEARG ;;
    trained) best=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['run'])" "$SWEEP_DIR/best.json")
             CRS_REC_CHECKPOINT="$SWEEP_DIR/$best" step $PY -m pytest -q -s -p no:cacheprovider -m gpu -rs \
               tests/test_kg_serving.py -k trained_model ;;
    collect) step $PY scripts/device_jobs.py collect --work "$WORK" --sweep-dir "$SWEEP_DIR" --out "$OUT" ;;
    *) echo "unknown stage $s" | tee -a "$LOG"; exit 2 ;;
  esac
done
