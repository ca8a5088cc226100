-- wrk: POST a transaction Bundle as the GP practice's system (gp-system
-- token, the GP's patients): an Encounter and 14 Observations (15 entries), PUT to a
-- bounded set of ids per wrk thread (create, then update), like carex
-- bench's transaction operation. With CAREX_BENCH_NEW=1 every bundle
-- creates 15 new resources instead (ids never used before: an import of
-- new records rather than a feed's updates). See common.lua for the rest
-- of the environment.
--   CAREX_BENCH_DIR=DIR wrk -t2 -c8 -d30s --latency -s testdata/bench/transaction.lua http://localhost:8080/fhir
local c = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
c.install()
local token, patients, base, thread
local fresh, run, sent = os.getenv("CAREX_BENCH_NEW") == "1", tostring(os.time()), 0

function init(args)
  thread = c.seed()
  token, patients, base = c.token("gp-system"), c.patients("gp", false), c.base()
end

local function obs(id, patient, enc, loinc, display, value, unit, when)
  return '{"resourceType":"Observation","id":"' .. id .. '","status":"final",' ..
    '"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],' ..
    '"code":{"coding":[{"system":"http://loinc.org","code":"' .. loinc .. '","display":"' .. display .. '"}]},' ..
    '"subject":{"reference":"Patient/' .. patient .. '"},"encounter":{"reference":"Encounter/' .. enc .. '"},' ..
    '"effectiveDateTime":"' .. when .. '","valueQuantity":{"value":' .. value .. ',"unit":"' .. unit ..
    '","system":"http://unitsofmeasure.org","code":"' .. unit .. '"}}'
end

local function entry(typ, id, res)
  return '{"fullUrl":"' .. typ .. '/' .. id .. '","resource":' .. res ..
    ',"request":{"method":"PUT","url":"' .. typ .. '/' .. id .. '"}}'
end

-- 15 entries, as the issue's import target states: an Encounter and 14
-- Observations alternating heart rate and body weight.
function request()
  local k = math.random(0, 7)
  local p = patients[((thread * 8 + k) % #patients) + 1]
  local pre = "bench-wrk-t" .. thread .. "-" .. k
  if fresh then
    sent = sent + 1
    pre = "bench-new-" .. run .. "-t" .. thread .. "-" .. sent
    p = patients[math.random(1, #patients)] -- spread over everyone, as an import is
  end
  local enc = pre .. "-enc"
  local when = string.format("2026-%02d-%02dT%02d:%02d:00Z", math.random(1, 12), math.random(1, 28), math.random(8, 17), math.random(0, 59))
  local encounter = '{"resourceType":"Encounter","id":"' .. enc .. '","status":"finished",' ..
    '"class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB","display":"ambulatory"},' ..
    '"serviceType":{"text":"GP consultation"},"subject":{"reference":"Patient/' .. p.id .. '"},' ..
    '"period":{"start":"' .. when .. '"},"serviceProvider":{"reference":"Organization/A81001"}}'
  local entries = { entry("Encounter", enc, encounter) }
  for i = 1, 14 do
    local o = pre .. "-obs" .. i
    if i % 2 == 1 then
      entries[#entries + 1] = entry("Observation", o, obs(o, p.id, enc, "8867-4", "Heart rate", math.random(55, 104), "/min", when))
    else
      entries[#entries + 1] = entry("Observation", o, obs(o, p.id, enc, "29463-7", "Body weight", math.random(45, 104), "kg", when))
    end
  end
  local body = '{"resourceType":"Bundle","type":"transaction","entry":[' .. table.concat(entries, ",") .. "]}"
  return wrk.format("POST", base, c.headers(token, true), body)
end
