-- wrk script: POSTs pre-signed Contiguity events, each with its own event id, cycling through the
-- file named by CTG_BENCH_EVENTS (lines "signature<TAB>body", made by bench/listen.sh).
local requests = {}
local index = 0

function init(args)
  local path = os.getenv("CTG_BENCH_EVENTS")
  for line in io.lines(path) do
    local tab = line:find("\t", 1, true)
    local headers = {["Content-Type"] = "application/json", ["Contiguity-Signature"] = line:sub(1, tab - 1)}
    requests[#requests + 1] = wrk.format("POST", "/contiguity/webhook", headers, line:sub(tab + 1))
  end
end

function request()
  index = index % #requests + 1
  return requests[index]
end
