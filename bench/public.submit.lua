-- Sends each prepared draft once (POST /submit/letter/send): every request registers a new
-- case. A thread stops when its drafts run out.
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  drafts = {}
  for line in io.lines(os.getenv("HARTA_DRAFTS") .. "." .. id) do drafts[#drafts + 1] = line end
  i = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = "harta_csrf=" .. os.getenv("HARTA_CSRF")
  csrf = os.getenv("HARTA_CSRF")
end

function request()
  i = i + 1
  if i > #drafts then
    wrk.thread:stop()
    i = #drafts
  end
  return wrk.format(nil, nil, nil, "csrf=" .. csrf .. "&draft=" .. drafts[i])
end
