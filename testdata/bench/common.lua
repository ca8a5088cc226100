-- Shared by the carex wrk scripts in this folder. They read what
-- `carex bench --wrk-setup DIR` writes: DIR/<persona>.token and
-- DIR/<persona>.patients ("ID NHS-NUMBER" a line).
--
--   CAREX_BENCH_DIR      the directory (default ./bench-wrk)
--   CAREX_BENCH_PERSONA  gp, nurse, hospital or social-worker (default nurse)
--   CAREX_TOKEN          a token to use instead of DIR/<persona>.token
--   CAREX_BENCH_SEED     random seed (default 1; each wrk thread adds its number)
local M = {}

local function dir()
  return os.getenv("CAREX_BENCH_DIR") or "bench-wrk"
end

local function slurp(path)
  local f, err = io.open(path)
  if not f then error(err .. " (run: carex bench --wrk-setup DIR and set CAREX_BENCH_DIR=DIR)") end
  local s = f:read("*a")
  f:close()
  return s
end

function M.persona(default)
  local p = os.getenv("CAREX_BENCH_PERSONA")
  if p == nil or p == "" then return default end
  return p
end

function M.token(persona)
  local t = os.getenv("CAREX_TOKEN")
  if t and t ~= "" then return t end
  return (slurp(dir() .. "/" .. persona .. ".token"):gsub("%s+$", ""))
end

-- patients(persona, withNHS): the persona's patients, {id=…, nhs=…}.
function M.patients(persona, withNHS)
  local out = {}
  for line in slurp(dir() .. "/" .. persona .. ".patients"):gmatch("[^\n]+") do
    local id, nhs = line:match("^(%S+)%s*(%S*)")
    if id and (not withNHS or nhs ~= "") then
      out[#out + 1] = { id = id, nhs = nhs }
    end
  end
  if #out == 0 then error("no patients for " .. persona .. " in " .. dir()) end
  return out
end

-- base: the FHIR base path from wrk's URL (http://host:8080/fhir → /fhir).
function M.base()
  local p = wrk.path or ""
  return (p:gsub("/+$", ""))
end

function M.headers(token, body)
  local h = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/fhir+json" }
  if body then h["Content-Type"] = "application/fhir+json" end
  return h
end

-- Each wrk thread gets a number (setup runs in the main state, init in the
-- thread's) and a seed of its own.
local threads = 0
function M.install()
  setup = function(thread)
    threads = threads + 1
    thread:set("carex_thread", threads)
  end
  -- wrk --latency prints 50/75/90/99 %; the targets speak of p95.
  done = function(summary, latency, requests)
    io.write(string.format("p95 latency: %.2fms\n", latency:percentile(95) / 1000))
  end
end

function M.seed()
  local n = carex_thread or 0
  math.randomseed((tonumber(os.getenv("CAREX_BENCH_SEED")) or 1) * 1000 + n)
  return n
end

-- get(path, withNHS) makes the script GET base .. path(p) for a random
-- patient p of the persona (CAREX_BENCH_PERSONA, default nurse); withNHS:
-- only patients with an NHS number.
function M.get(path, withNHS)
  M.install()
  local token, patients, base
  init = function(args)
    M.seed()
    local persona = M.persona("nurse")
    token, patients, base = M.token(persona), M.patients(persona, withNHS), M.base()
  end
  request = function()
    local p = patients[math.random(#patients)]
    return wrk.format("GET", base .. path(p), M.headers(token))
  end
end

return M
