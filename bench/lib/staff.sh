# Shared by the benchmarks that read staff pages: `report LABEL WRK-OUTPUT` prints a wrk run's
# figures; `staff_session BIN DATA BASE LOGIN` signs a member of staff in (an administrator's
# new password, changed at once as every first sign-in asks) and prints the session cookie's
# value.

report() { # label wrk-output
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$2")
  p50=$(awk '$1=="50%" {print $2}' "$2")
  p99=$(awk '$1=="99%" {print $2}' "$2")
  errors=$(awk '/Non-2xx/ {print $5}' "$2"); errors=${errors:-0}
  echo "$1: ${rps} requests/s, p50 ${p50}, p99 ${p99}, non-2xx ${errors}"
}

staff_session() { # bin data base login
  local bin="$1" data="$2" base="$3" login="$4" password csrf session
  password=$("$bin" --data "$data" admin staff reset-password "$login")
  curl -s -c "$data/jar" -b "$data/jar" "$base/staff/sign-in" >"$data/form.html"
  csrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$data/form.html" | cut -d'"' -f4)
  curl -s -c "$data/jar" -b "$data/jar" -o /dev/null --data-urlencode "csrf=$csrf" \
    --data-urlencode "login=$login" --data-urlencode "password=$password" "$base/staff/sign-in"
  session=$(awk '$6=="harta_session" {print $7}' "$data/jar")
  csrf=$(curl -s -H "Cookie: harta_session=$session" "$base/staff/password" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | cut -d'"' -f4)
  curl -s -o /dev/null -H "Cookie: harta_session=$session" --data-urlencode "csrf=$csrf" \
    --data-urlencode "current=$password" --data-urlencode "new=bench-password-$$" "$base/staff/password"
  echo "$session"
}
