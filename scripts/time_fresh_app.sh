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
# CPU seconds (user + system, children included) of a running process: contention-independent
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15 + $16 + $17) / hz}' "/proc/$1/stat"; }
TIMEF="%e %U %S"
T0=$(now)
git clone -q "$REPO" "$WORK/repo"
cd "$WORK/repo"
/usr/bin/time -f "$TIMEF" -o "$WORK/setup.time" make setup > "$WORK/setup.log" 2>&1
/usr/bin/time -f "$TIMEF" -o "$WORK/prepare.time" .venv/bin/crs prepare --timings "$WORK/prepare.json" > "$WORK/prepare.log" 2>&1
t=$(now)
.venv/bin/crs app --host 127.0.0.1 --port "$PORT" > "$WORK/app.log" 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null || true' EXIT
until grep -q "serving on" "$WORK/app.log"; do
  kill -0 $APP 2>/dev/null || { echo "app exited:"; tail -20 "$WORK/app.log"; exit 1; }
  sleep 0.5
done
until curl -sf "http://127.0.0.1:$PORT/" > /dev/null; do sleep 0.5; done
SERVE=$(echo "$(now) - $t" | bc); SERVE_CPU=$(cpu_of $APP)
t=$(now)
.venv/bin/python - "$PORT" > "$WORK/reply.txt" <<'PY'
import sys
from gradio_client import Client
reply, cards = Client(f"http://127.0.0.1:{sys.argv[1]}/", verbose=False).predict("I loved The Shining, what else would I like?", api_name="/chat")
print(reply); print(cards)
PY
REPLY=$(echo "$(now) - $t" | bc); REPLY_CPU=$(echo "$(cpu_of $APP) - $SERVE_CPU" | bc)
TOTAL=$(echo "$(now) - $T0" | bc)
.venv/bin/python - "$WORK" "$SERVE" "$SERVE_CPU" "$REPLY" "$REPLY_CPU" "$TOTAL" "$(cat /proc/loadavg)" <<'PY'
import json, sys
work = sys.argv[1]
serve, serve_cpu, reply, reply_cpu, total = map(float, sys.argv[2:7])
def timed(name):  # /usr/bin/time: wall, user, system
    e, u, s = map(float, open(f"{work}/{name}.time").read().split()[-3:])
    return {"wall_s": e, "cpu_s": round(u + s, 1)}
steps = json.load(open(f"{work}/prepare.json"))
rows = [("venv + pip install (`make setup`)", timed("setup"))]
rows += [(f"prepare: {k}", v) for k, v in steps.items() if k != "total"]
rows += [("`crs prepare` (whole command, with imports)", timed("prepare")),
         ("`crs app` start until serving", {"wall_s": serve, "cpu_s": serve_cpu}),
         ("first reply via gradio_client (server CPU)", {"wall_s": reply, "cpu_s": reply_cpu}),
         ("**total, first command to first reply**", {"wall_s": total, "cpu_s": None})]
json.dump({"steps": dict(rows), "loadavg_at_end": sys.argv[7]}, open(f"{work}/timings.json", "w"), indent=2)
print("| step | wall s | CPU s |\n|---|---|---|")
for k, v in rows:
    cpu = "" if v["cpu_s"] is None else f"{v['cpu_s']:.0f}"
    print(f"| {k} | {v['wall_s']:.0f} | {cpu} |")
print(f"load average at the end: {sys.argv[7]}")
PY
head -c 600 "$WORK/reply.txt"
