#!/usr/bin/env bash
# Reproduces the tables in BENCHMARKS.md: for each population size it
# generates (once) a synthetic population with carex gen, serves a copy of
# it with carex serve --dev (every request authenticated, consent-checked
# and durably logged), measures single operations with wrk (8 connections;
# transactions with 4: a feed's updates, then an import of new resources)
# and the realistic mix with carex bench against a --bench-no-privacy
# baseline on another copy of the same data.
#
#   testdata/bench/reproduce.sh [PEOPLE ...]        (default: 1000 10000)
#
# Environment: CAREX_BENCH_OUT (default /tmp/carex-bench: databases, logs,
# results), CAREX_BENCH_SECONDS (wrk duration, default 20),
# CAREX_BENCH_MIX_SECONDS (carex bench duration, default 30),
# CAREX_BENCH_IN_PLACE=1 (serve the population itself, not a copy, and skip
# the mix, which needs two copies: for 1,000,000 people, whose 39 GB leave
# no room for copies; the transactions, run last, change the file).
# A population already at $OUT/pN.db (with its manifest) is reused, not
# generated again: remove it, or choose another CAREX_BENCH_OUT, to start
# afresh. Needs wrk and python3 (Debian: apt-get install wrk python3).
# Results: $OUT/results-N/*.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${CAREX_BENCH_OUT:-/tmp/carex-bench}
secs=${CAREX_BENCH_SECONDS:-20}
mixsecs=${CAREX_BENCH_MIX_SECONDS:-30}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
for tool in wrk python3; do
	command -v $tool >/dev/null || { echo "$tool not found: apt-get install $tool" >&2; exit 1; }
done
mkdir -p "$out"
carex=$out/carex
(cd "$root" && go build -o "$carex" ./cmd/carex)
export CAREX_DEV_KEY=$out/dev-key.pem CAREX_LOG_KEY=$out/log-key

serve() { # serve DB PORT [flags...]: starts a server, prints its pid
	local db=$1 port=$2
	shift 2
	# --new-access-log: a fresh copy of a population served before (in
	# place) has its records' access log removed on purpose.
	# --verify-log=false: the background check of the whole access log (a
	# processor for about a second per 230,000 entries) would run during
	# the measurements of a population served in place.
	"$carex" serve --dev --new-access-log --verify-log=false --db "$db" --addr 127.0.0.1:"$port" --log-level warn "$@" >"$db.serve.log" 2>&1 &
	local pid=$!
	for _ in $(seq 100); do
		curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && { echo "$pid"; return; }
		sleep 0.2
	done
	echo "server on $port did not start: see $db.serve.log" >&2
	exit 1
}

# stop PID...: interrupts the servers and waits until they are gone (they
# are not this shell's children, so wait cannot), so that the next server
# finds its port free; on any exit, whatever still runs is stopped too.
servers=()
stop() {
	kill -INT "$@" 2>/dev/null || true
	for pid in "$@"; do
		while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	done
}
trap 'stop "${servers[@]}"' EXIT

for n in "${sizes[@]}"; do
	pop=$out/p$n.db
	if [ -f "$pop" ]; then
		echo "== $n people: reusing $pop (generated earlier; remove it to generate afresh)"
	else
		"$carex" gen --people "$n" --db "$pop" --quiet
	fi
	res=$out/results-$n
	rm -rf "$res" && mkdir -p "$res"
	served=$out/on.db
	if [ "${CAREX_BENCH_IN_PLACE:-}" = 1 ]; then
		served=$pop
	else
		cp "$pop" "$served" && rm -f "$served-wal" "$served-shm" "$served-audit" "$out"/on-access.db*
	fi
	# Write the copy out first: gigabytes of dirty pages being written back
	# would queue every durable log write behind them.
	sync
	on=$(serve "$served" 18080)
	servers+=("$on")
	url=http://127.0.0.1:18080/fhir
	# Tokens and the patients each user may open, from the population's manifest.
	"$carex" bench --url "$url" --manifest "$pop.manifest.json" --wrk-setup "$res/wrk" >/dev/null
	# Typical records for every persona (the manifest's sample holds more big
	# ones in bigger populations, which would make sizes incomparable), and
	# the big ones (300 items) apart, opened by the GP, for the $everything
	# latency target.
	python3 "$root/testdata/bench/patients.py" "$pop.manifest.json" "$res/wrk"
	cp "$res/wrk/gp.token" "$res/wrk/big.token"
	# Warm the caches first (a fresh copy of a large database is cold).
	CAREX_BENCH_DIR=$res/wrk CAREX_BENCH_PERSONA=nurse wrk -t2 -c8 -d5s \
		-s "$root/testdata/bench/everything.lua" "$url" >/dev/null
	for op in read search everything; do
		CAREX_BENCH_DIR=$res/wrk CAREX_BENCH_PERSONA=nurse wrk -t2 -c8 -d"${secs}s" --latency \
			-s "$root/testdata/bench/$op.lua" "$url" >"$res/wrk-$op.txt"
	done
	CAREX_BENCH_DIR=$res/wrk CAREX_BENCH_PERSONA=big wrk -t2 -c8 -d"${secs}s" --latency \
		-s "$root/testdata/bench/everything.lua" "$url" >"$res/wrk-everything-big.txt"
	CAREX_BENCH_DIR=$res/wrk wrk -t2 -c4 -d"${secs}s" --latency \
		-s "$root/testdata/bench/transaction.lua" "$url" >"$res/wrk-transaction.txt"
	# An import proper: every bundle creates 15 resources never seen before.
	CAREX_BENCH_NEW=1 CAREX_BENCH_DIR=$res/wrk wrk -t2 -c4 -d"${secs}s" --latency \
		-s "$root/testdata/bench/transaction.lua" "$url" >"$res/wrk-transaction-new.txt"
	stop "$on"
	# A run whose requests failed (an expired token, a server error) measures
	# error responses: stop rather than print its numbers as results.
	if grep -l "Non-2xx" "$res"/wrk-*.txt >&2; then
		echo "reproduce.sh: the runs above had error responses (see the files named): not results" >&2
		exit 1
	fi
	if [ "${CAREX_BENCH_IN_PLACE:-}" = 1 ]; then
		echo "== $n people (in place, no mix): $res"
		grep -H -E "Requests/sec|Non-2xx|99%" "$res"/wrk-*.txt || true
		continue
	fi

	# The realistic mix, privacy on against privacy off, on fresh copies.
	cp "$pop" "$out/on.db" && rm -f "$out/on.db-wal" "$out/on.db-shm" "$out/on.db-audit" "$out"/on-access.db*
	cp "$pop" "$out/off.db" && rm -f "$out/off.db-wal" "$out/off.db-shm" "$out/off.db-audit" "$out"/off-access.db*
	sync
	on=$(serve "$out/on.db" 18080)
	servers+=("$on")
	off=$(serve "$out/off.db" 18081 --bench-no-privacy)
	servers+=("$off")
	# Candidates: the manifest's sample without the big records, as above.
	python3 -c 'import json,sys; [print(p["id"], p.get("nhs","")) for p in json.load(open(sys.argv[1]))["patients"] if p.get("size") != "big"]' \
		"$pop.manifest.json" >"$res/mix.patients"
	"$carex" bench --url "$url" --baseline-url http://127.0.0.1:18081/fhir --patients "$res/mix.patients" \
		--users 8 --duration "${mixsecs}s" --warmup 5s --rounds 3 --seed 1 --pid "$on" --baseline-pid "$off" \
		--json "$res/mix.json" >"$res/mix.txt"
	stop "$on" "$off"
	echo "== $n people: $res"
	grep -H -E "Requests/sec|Non-2xx|99%" "$res"/wrk-*.txt || true
	tail -n 13 "$res/mix.txt"
done
