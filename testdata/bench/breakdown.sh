#!/usr/bin/env bash
# Splits a carex serve --cpuprofile profile into the parts of the request
# path, as shares of all CPU samples: for each part, the samples whose stack
# passes through it (go tool pprof -focus). A part called from inside
# another (the release filter runs inside the records store's page loop) is
# counted in both, so the shares need not add up to 100 %.
#
#   testdata/bench/breakdown.sh PROFILE [REQUESTS]
#
# With REQUESTS (how many requests the profiled run served), each part is
# also given in µs of CPU per request.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
prof=$1 reqs=${2:-}
parts=(
	"token verification|carex/api/auth\."
	"sharing decision|carex/consent\.|carex/api\.\(\*gate\)|carex/api\.\(\*ConsentPolicy\)"
	"records store (SQLite)|carex/store/sqlite\."
	"SQLite's own code (records and log)|modernc\.org/sqlite/lib\."
	"access log: request side|auditlog\.\(\*Log\)\.Append|carex/api\.LogRecorder"
	"access log: journal writer|auditlog\.\(\*Log\)\.run$"
	"access log: copy into SQLite|auditlog\.\(\*Log\)\.runIndexer"
	"JSON (encoding/json)|encoding/json\."
	"network reads and writes|net\.\(\*conn\)\.(Read|Write)"
	"garbage collector|runtime\.gcBgMarkWorker|runtime\.gcAssistAlloc|runtime\.bgsweep|runtime\.bgscavenge"
	"scheduler (finding work, parking)|runtime\.findRunnable|runtime\.stopm"
)
total=$(go tool pprof -top -nodecount=1 "$prof" 2>/dev/null | awk '/Total samples/{for(i=1;i<=NF;i++) if($i=="samples") {v=$(i+2); sub(/s$/,"",v); print v}}')
printf '%-36s %7s' "part" "share"
[ -n "$reqs" ] && printf ' %12s' "µs/request"
printf '\n'
for p in "${parts[@]}"; do
	name=${p%%|*} re=${p#*|}
	s=$(go tool pprof -top -nodefraction=0 -nodecount=1000000 -focus="$re" "$prof" 2>/dev/null | awk '/Showing nodes accounting for/{for(i=1;i<=NF;i++) if($i=="of") {v=$(i-1); sub(/%,?$/,"",v); print v}}')
	s=${s:-0}
	printf '%-36s %6.1f%%' "$name" "$s"
	[ -n "$reqs" ] && printf ' %12.0f' "$(echo "$total * $s / 100 * 1000000 / $reqs" | bc -l)"
	printf '\n'
done
printf '%-36s %7s' "all" "100.0%"
[ -n "$reqs" ] && printf ' %12.0f' "$(echo "$total * 1000000 / $reqs" | bc -l)"
printf '\n'
