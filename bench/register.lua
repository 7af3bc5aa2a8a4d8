-- wrk script for bench/register: the same realistic letter, registered again and again, to the
-- unit HARTA_BENCH_UNIT names (infrastructure by default).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("HARTA_TOKEN")
wrk.body = '{"kind":"letter","channel":"web","subject":"Неработещо улично осветление на ул. Дебър",' ..
  '"text":"От една седмица уличното осветление пред блок 12 не работи. Моля за проверка и ремонт.",' ..
  '"unit":"' .. (os.getenv("HARTA_BENCH_UNIT") or "infra") .. '","party":{"type":"person","name":"Мария Иванова","email":"maria@example.bg",' ..
  '"phone":"0888 123 456","preferred_channel":"email"}}'
