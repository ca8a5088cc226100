-- wrk: GET Patient/{id} as one user. See common.lua for the environment.
--   CAREX_BENCH_DIR=DIR wrk -t2 -c8 -d30s --latency -s testdata/bench/read.lua http://localhost:8080/fhir
local c = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
c.get(function(p) return "/Patient/" .. p.id end, false)
