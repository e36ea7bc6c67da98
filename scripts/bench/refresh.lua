-- Each refresh consumes a token and yields its successor. Every thread keeps its own queue,
-- seeded with a disjoint share of BENCH_TOKENS (comma-separated, at least one per connection).
local tokens = {}
local threads = 0
setup = function(thread)
  thread:set("slot", threads)
  threads = threads + 1
end
init = function(args)
  local count = tonumber(os.getenv("BENCH_THREADS") or "1")
  local i = 0
  for token in string.gmatch(os.getenv("BENCH_TOKENS") or "", "[^,]+") do
    if i % count == slot then
      table.insert(tokens, token)
    end
    i = i + 1
  end
end
request = function()
  local token = table.remove(tokens, 1) or "exhausted"
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, '{"refresh_token":"' .. token .. '"}')
end
response = function(status, headers, body)
  local token = string.match(body, '"refresh_token":"([^"]+)"')
  if token then
    table.insert(tokens, token)
  end
end
