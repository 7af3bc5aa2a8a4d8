-- Sends filled-in letter forms to the check-your-answers step and keeps each sealed draft,
-- one file per wrk thread, for bench/public.submit.lua to send.
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  out = io.open(os.getenv("HARTA_DRAFTS") .. "." .. id, "w")
  n = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = "harta_csrf=" .. os.getenv("HARTA_CSRF")
end

function request()
  n = n + 1
  local body = "csrf=" .. os.getenv("HARTA_CSRF") .. "&shown=" .. os.getenv("HARTA_SHOWN")
    .. "&subject=%D0%9F%D1%80%D0%BE%D0%B2%D0%B5%D1%80%D0%BA%D0%B0+" .. id .. "-" .. n
    .. "&text=%D0%A1%D1%87%D1%83%D0%BF%D0%B5%D0%BD%D0%B0+%D0%BF%D0%B5%D0%B9%D0%BA%D0%B0."
    .. "&party_type=person&name=%D0%9C%D0%B0%D1%80%D0%B8%D1%8F+%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2%D0%B0"
    .. "&email=maria%40example.bg&preferred=email"
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  local draft = body:match('name="draft" value="(%x+)"')
  if draft then out:write(draft, "\n") end
end
