# Shared by the benchmarks over a large store: `seeded_store BIN LABEL CASES` makes sure that the
# store LABEL (sqlite or postgres) holds CASES demo cases, seeding it only when it does not yet
# (the seed of 5,000,000 cases takes ten to twenty minutes), and sets `store_data` to its data
# directory; for postgres it exports HARTA_DATABASE_URL for the database it uses (and for
# sqlite unsets it). Call it directly, not in $(…), for the variables to stay. The stores live in
# bench/out/stores (and the databases harta_bench_CASES) and serve every benchmark that asks
# for the same size. The demo staff B001 (a manager) is added with the seed.

seeded_store() { # bin label cases
  local bin="$1" label="$2" cases="$3" data="bench/out/stores/$2-$3"
  local pg_admin="${HARTA_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  if [ "$label" = postgres ]; then
    local db="harta_bench_$cases"
    if [ "$(cat "$data/seeded" 2>/dev/null)" != "$cases" ]; then
      psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >&2
      psql "$pg_admin" -qc "CREATE DATABASE $db" >&2
    fi
    export HARTA_DATABASE_URL="${pg_admin%/*}/$db"
  else
    unset HARTA_DATABASE_URL
  fi
  if [ "$(cat "$data/seeded" 2>/dev/null)" != "$cases" ]; then
    rm -rf "$data" && mkdir -p "$data"
    local started=$SECONDS
    "$bin" --data "$data" demo seed --cases "$cases" >"$data/seed.log" 2>&1
    "$bin" --data "$data" admin staff add --employee-number B001 --name "Мила Кметова" --role manager >/dev/null
    echo "$cases" >"$data/seeded"
    echo "$label: seeded $cases cases in $((SECONDS - started)) s ($(grep -o '[0-9]* cases/s' "$data/seed.log"))" >&2
  fi
  store_data="$data"
}
