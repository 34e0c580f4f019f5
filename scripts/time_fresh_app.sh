#!/usr/bin/env bash
# Time `make app` on a fresh clone with an empty $CRS_HOME, step by step, up to the first chat reply.
#   scripts/time_fresh_app.sh [REPO] [WORKDIR]      (defaults: this checkout, /tmp/fresh-app)
# Writes WORKDIR/timings.json and prints a Markdown table. Uses the same commands as `make app`
# (make setup; crs prepare; crs app) so the numbers are those a new user meets.
set -euo pipefail
REPO=${1:-$(cd "$(dirname "$0")/.." && pwd)}
WORK=${2:-/tmp/fresh-app}
PORT=${PORT:-7871}
rm -rf "$WORK" && mkdir -p "$WORK"
export CRS_HOME="$WORK/home" CRS_DATA=${CRS_DATA:-$(cd "$REPO/.." && pwd)/shared/data}
now() { date +%s.%N; }
T0=$(now)
git clone -q "$REPO" "$WORK/repo"
cd "$WORK/repo"
t=$(now); make setup > "$WORK/setup.log" 2>&1; SETUP=$(echo "$(now) - $t" | bc)
t=$(now); .venv/bin/crs prepare --timings "$WORK/prepare.json" > "$WORK/prepare.log" 2>&1; PREP=$(echo "$(now) - $t" | bc)
t=$(now)
.venv/bin/crs app --host 127.0.0.1 --port "$PORT" > "$WORK/app.log" 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null || true' EXIT
until grep -q "serving on" "$WORK/app.log"; do
  kill -0 $APP 2>/dev/null || { echo "app exited:"; tail -20 "$WORK/app.log"; exit 1; }
  sleep 0.5
done
until curl -sf "http://127.0.0.1:$PORT/" > /dev/null; do sleep 0.5; done
SERVE=$(echo "$(now) - $t" | bc)
t=$(now)
.venv/bin/python - "$PORT" > "$WORK/reply.txt" <<'PY'
import sys
from gradio_client import Client
reply, cards = Client(f"http://127.0.0.1:{sys.argv[1]}/", verbose=False).predict("I loved The Shining, what else would I like?", api_name="/chat")
print(reply); print(cards)
PY
REPLY=$(echo "$(now) - $t" | bc)
TOTAL=$(echo "$(now) - $T0" | bc)
.venv/bin/python - "$WORK" "$SETUP" "$PREP" "$SERVE" "$REPLY" "$TOTAL" <<'PY'
import json, sys
work, setup, prep, serve, reply, total = sys.argv[1], *map(float, sys.argv[2:])
steps = json.load(open(f"{work}/prepare.json"))
rows = [("clone + venv + pip install (`make setup`)", setup)]
rows += [(f"prepare: {k}", v) for k, v in steps.items() if k != "total"]
rows += [("prepare (whole command, with start-up)", prep), ("`crs app` start until serving", serve),
         ("first reply via gradio_client", reply), ("**total, first command to first reply**", total)]
json.dump(dict(rows), open(f"{work}/timings.json", "w"), indent=2)
print("| step | seconds |\n|---|---|")
for k, v in rows:
    print(f"| {k} | {v:.0f} |")
PY
head -c 600 "$WORK/reply.txt"
