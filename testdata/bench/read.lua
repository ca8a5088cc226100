-- wrk: GET Patient/{id} as one user. See common.lua for the environment.
--   CAREX_BENCH_DIR=DIR wrk -t2 -c8 -d30s --latency -s testdata/bench/read.lua http://localhost:8080/fhir
local c = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
c.install()
local token, patients, base

function init(args)
  c.seed()
  local persona = c.persona("nurse")
  token, patients, base = c.token(persona), c.patients(persona, false), c.base()
end

function request()
  local p = patients[math.random(#patients)]
  return wrk.format("GET", base .. "/Patient/" .. p.id, c.headers(token))
end
