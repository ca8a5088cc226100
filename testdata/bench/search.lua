-- wrk: GET Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|NNN as one
-- user. See common.lua for the environment.
--   CAREX_BENCH_DIR=DIR wrk -t2 -c8 -d30s --latency -s testdata/bench/search.lua http://localhost:8080/fhir
local c = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
c.get(function(p) return "/Patient?identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C" .. p.nhs end, true)
