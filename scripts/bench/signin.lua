-- Sign in as one of N seeded users, round-robin, so no account hits the 5/min limit.
local counter = 0
local users = tonumber(os.getenv("BENCH_USERS") or "400")
request = function()
  counter = counter + 1
  local i = (counter * 7 + (id or 0)) % users
  local body = string.format('{"email":"bench-%d@example.com","password":"correct horse battery"}', i)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end
setup = function(thread)
  thread:set("id", math.random(0, 1000))
end
