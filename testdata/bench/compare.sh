#!/usr/bin/env bash
# Compares two carex binaries on one wrk operation, taking turns, each run
# on a fresh copy of a population that reproduce.sh generated: throughput
# drifts by 10-40 % on a shared VM over minutes to hours, so only runs that
# alternate support a "before -> after" claim (see BENCHMARKS.md).
#
#   testdata/bench/compare.sh OP BIN_A BIN_B [PAIRS] [-- SERVE_FLAGS...]
#
# OP: read, search, everything, everything-big, transaction (updates) or
# transaction-new (every bundle creates 15 new resources). Prints, per
# run: requests/s, p95, p99, the server's CPU per request (user+system
# from /proc over the measured run) and its peak memory (VmHWM).
# Environment: CAREX_BENCH_OUT (where reproduce.sh put the populations,
# default /tmp/carex-bench),
# CAREX_BENCH_PEOPLE (default 10000), CAREX_BENCH_SECONDS (default 15),
# CAREX_BENCH_DBDIR (where the copy is served from, default $OUT/compare),
# CAREX_BENCH_PROFILE (a directory: each server writes a CPU profile there,
# OP-RUN.prof, and breakdown.sh prints where its CPU went). BIN_B "-" runs
# BIN_A alone, PAIRS times (a profile of one build).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 3 ] || { sed -n '2,19p' "$0" >&2; exit 2; }
op=$1 a=$2 b=$3
pairs=${4:-3}
shift $(($# >= 4 ? 4 : 3))
[ "${1:-}" = "--" ] && shift
out=${CAREX_BENCH_OUT:-/tmp/carex-bench}
n=${CAREX_BENCH_PEOPLE:-10000}
secs=${CAREX_BENCH_SECONDS:-15}
dir=${CAREX_BENCH_DBDIR:-$out/compare}
pop=$out/p$n.db
[ -f "$pop" ] || { echo "compare.sh: no $pop: run testdata/bench/reproduce.sh $n first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
mkdir -p "$dir"
export CAREX_DEV_KEY=$out/dev-key.pem CAREX_LOG_KEY=$out/log-key

persona=nurse conns=8 script=$op
case $op in
everything-big) persona=big script=everything ;;
transaction) conns=4 ;;
transaction-new) conns=4 script=transaction && export CAREX_BENCH_NEW=1 ;;
esac

runs=0
run() { # run BIN: one measured run on a fresh copy
	local bin=$1 db=$dir/c.db url=http://127.0.0.1:18095/fhir prof=()
	shift
	runs=$((runs + 1))
	[ -n "${CAREX_BENCH_PROFILE:-}" ] && mkdir -p "$CAREX_BENCH_PROFILE" && prof=(--cpuprofile "$CAREX_BENCH_PROFILE/$op-$runs.prof")
	rm -f "$db"* "$dir"/c-access.db* && cp "$pop" "$db" # the access log too: each run starts with an empty one
	sync # the copy's dirty pages would queue every durable write behind them
	# A copy of a population served before in place has its access log
	# removed on purpose: say a new one is meant (builds that know how).
	local fresh=()
	"$bin" serve -h 2>&1 | grep -q -- -new-access-log && fresh=(--new-access-log)
	"$bin" serve --dev "${fresh[@]}" --db "$db" --addr 127.0.0.1:18095 --log-level warn "${prof[@]}" "$@" >"$dir/serve.log" 2>&1 &
	local pid=$!
	for _ in $(seq 100); do curl -sf http://127.0.0.1:18095/healthz >/dev/null && break; sleep 0.2; done
	"$bin" bench --url "$url" --manifest "$pop.manifest.json" --wrk-setup "$dir/wrk" >/dev/null 2>&1
	python3 "$root/testdata/bench/patients.py" "$pop.manifest.json" "$dir/wrk"
	cp "$dir/wrk/gp.token" "$dir/wrk/big.token"
	local lua=$root/testdata/bench/$script.lua
	CAREX_BENCH_DIR=$dir/wrk CAREX_BENCH_PERSONA=$persona wrk -t2 -c"$conns" -d3s -s "$lua" "$url" >/dev/null
	local t0 t1
	t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
	CAREX_BENCH_DIR=$dir/wrk CAREX_BENCH_PERSONA=$persona wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$lua" "$url" >"$dir/wrk.txt"
	t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
	local hwm
	hwm=$(awk '/^VmHWM/{printf "%.0f MiB", $2/1024}' "/proc/$pid/status")
	kill -INT "$pid" && wait "$pid" 2>/dev/null || true
	if grep -q Non-2xx "$dir/wrk.txt"; then
		echo "compare.sh: $bin answered with errors: $(grep Non-2xx "$dir/wrk.txt")" >&2
		exit 1
	fi
	local reqs hz
	reqs=$(awk '/requests in/{print $1}' "$dir/wrk.txt")
	hz=$(getconf CLK_TCK)
	printf '%s: %s req/s, p95 %s, p99 %s, server CPU %d µs/request, peak memory %s\n' "$bin" \
		"$(awk '/Requests\/sec/{print $2}' "$dir/wrk.txt")" "$(awk '/p95 latency/{print $3}' "$dir/wrk.txt")" \
		"$(awk '$1=="99%"{print $2}' "$dir/wrk.txt")" $(((t1 - t0) * 1000000 / hz / reqs)) "$hwm"
	if [ ${#prof[@]} -gt 0 ]; then
		# The profile covers the server's whole run: the 3 s warm-up too.
		"$root/testdata/bench/breakdown.sh" "${prof[1]}"
	fi
}

for i in $(seq "$pairs"); do
	run "$a" "$@"
	[ "$b" = - ] || run "$b" "$@"
done

rm -f "$dir"/c.db "$dir"/c.db-* "$dir"/c-access.db*
