-- wrk: GET Patient/{id}/$everything as one user (a district nurse by
-- default). See common.lua for the environment.
--   CAREX_BENCH_DIR=DIR wrk -t2 -c8 -d30s --latency -s testdata/bench/everything.lua http://localhost:8080/fhir
local c = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
c.get(function(p) return "/Patient/" .. p.id .. "/$everything" end, false)
