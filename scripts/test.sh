#!/usr/bin/env bash
# npm test: everything CI checks, from a fresh clone, in order of cost. Each stage prints its
# duration; the last lines are the stage timings and "N passed, M failed" over all test runners.
#
#   system packages → npm ci (if needed) → Prisma clients (if stale) → derived-schema check → tsc → eslint
#   → unit tests → next build (if stale) → integration tests on SQLite → real-QEMU integration tests
#   → PostgreSQL cluster up → integration tests on PostgreSQL → cluster down → Playwright e2e
#
# The real-QEMU suite (vitest project `qemu`, test/integration/qemu/) boots TCG guests on private
# libvirt daemons through the agent; it runs once, on SQLite (the database is not what it proves).
# It installs its Debian packages and starts its daemons itself, as root.
#
# The Next build comes before the integration tests because the harness runs the controller in
# production mode, exactly as `npm start` and the e2e suite do.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CHECKPOINT_DISABLE=1 NEXT_TELEMETRY_DISABLED=1
# A DATABASE_URL from the caller's shell must not leak into generation or the tests.
unset DATABASE_URL TEST_DATABASE_URL

REPORTS=var/test-reports
rm -rf "$REPORTS"
mkdir -p "$REPORTS"

timings=()
current=""
pg_started=0
started_all=$(date +%s%N)

elapsed() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

stage() {
  current=$1
  shift
  local t0
  t0=$(date +%s%N)
  printf '\n=== %s\n' "$current"
  "$@"
  local took
  took=$(elapsed "$t0")
  timings+=("$(printf '  %-32s %7s s' "$current" "$took")")
  printf '=== %s: %s s\n' "$current" "$took"
  current=""
}

finish() {
  local rc=$?
  [ "$pg_started" = 1 ] && bash scripts/postgres.sh stop || true
  printf '\n=== stage timings\n'
  printf '%s\n' "${timings[@]}"
  printf '  %-32s %7s s\n' "total" "$(elapsed "$started_all")"
  if [ "$rc" -ne 0 ] && [ -n "$current" ]; then
    printf '\nFAILED in stage: %s (exit %s)\n' "$current" "$rc"
    if [ "$current" = "e2e (Playwright)" ] && [ -d var/e2e-logs ]; then
      for f in var/e2e-logs/*.log; do printf -- '--- last lines of %s\n' "$f"; tail -n 40 "$f"; done
    fi
  fi
  node scripts/lib/test-summary.mjs "$REPORTS"/*.json 2>/dev/null || true
  exit "$rc"
}
trap finish EXIT

vitest() {
  local name=$1
  shift
  npx vitest run --reporter=default --reporter=json --outputFile.json="$REPORTS/$name.json" "$@"
}

install_if_needed() {
  if node -e 'import("./scripts/lib/freshness.mjs").then(m => process.exit(m.installIsStale(".") ? 0 : 1))'; then
    npm ci --no-audit --no-fund
  else
    echo "node_modules is up to date"
  fi
}

client_is_stale() {
  node -e 'import("./scripts/lib/freshness.mjs").then(m => process.exit(m.clientIsStale(".", process.argv[1]) ? 0 : 1))' "$1"
}

generate_clients() {
  # Only when stale: rewriting src/generated would make the Next build stale too.
  # prisma.config.ts picks the schema from DATABASE_URL; generate never connects.
  if client_is_stale sqlite; then
    DATABASE_URL=file:./var/stratus.db npx prisma generate
  else
    echo "src/generated/sqlite is up to date"
  fi
  if client_is_stale postgres; then
    DATABASE_URL=postgresql://generate:generate@127.0.0.1:5432/generate npx prisma generate
  else
    echo "src/generated/postgres is up to date"
  fi
}

build_if_stale() {
  if node -e 'import("./scripts/lib/freshness.mjs").then(m => process.exit(m.buildIsStale(".") ? 0 : 1))'; then
    NODE_ENV=production npx next build
  else
    echo ".next is up to date"
  fi
}

postgres_up() {
  bash scripts/postgres.sh reset # a fresh cluster: no databases left from an earlier run
  pg_started=1
  PG_URL=$(bash scripts/postgres.sh start)
  echo "PostgreSQL test cluster: $PG_URL"
}

integration_postgres() {
  TEST_DATABASE_URL=$PG_URL vitest integration-postgres --project integration
}

stage "system packages" bash scripts/system-packages.sh
stage "npm ci" install_if_needed
stage "prisma generate" generate_clients
stage "derived schema check" node scripts/prisma-schemas.mjs --check
stage "typecheck (tsc)" npx tsc --noEmit
stage "lint (eslint)" npx eslint .
stage "unit tests" vitest unit --project unit
stage "next build" build_if_stale
stage "integration (SQLite)" vitest integration-sqlite --project integration
stage "integration (QEMU)" vitest integration-qemu --project qemu
stage "postgres up" postgres_up
stage "integration (PostgreSQL)" integration_postgres
stage "postgres down" bash scripts/postgres.sh stop
pg_started=0
# A free port rather than the fixed default, so another checkout's suite can run at the same time.
STRATUS_E2E_PORT=${STRATUS_E2E_PORT:-$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')}
export STRATUS_E2E_PORT
stage "e2e (Playwright)" npx playwright test
