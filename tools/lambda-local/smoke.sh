#!/usr/bin/env bash
# End-to-end check of the packaged `usage` function run the way AWS Lambda runs it (tools/lambda-local/run.sh).
# Builds target/function.zip when it is missing or older than the sources, starts a throwaway PostgreSQL 15 on
# 127.0.0.1, then
#   1. cold-starts the function with QUARKUS_FLYWAY_MIGRATE_AT_START=true on the empty database and invokes the
#      sample event (200, nothing used), a request without JWT claims (401) and an invalid month (400);
#   2. seeds runs that exercise the billing rules and cold-starts it again for the usage document and the
#      breakdown, comparing exact milliseconds and minutes, and checks the JSON log lines.
# Exits non-zero on any mismatch. Needs bash, a JDK 17, curl and PostgreSQL 15 binaries (PG_BIN).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=$(cd "$here/../.." && pwd)
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
events=$project/events
user=3f1c2a9e-5b7d-4e21-9c0a-7d2b6e8f1a43 # the sub claim of the sample events

fail() {
    echo "smoke: $*" >&2
    exit 1
}

[[ -x $pg_bin/initdb ]] || fail "no PostgreSQL binaries in $pg_bin (set PG_BIN)"
# The seeded runs are in the sample event's month; a run that starts in the future bills nothing.
(($(date -u +%s) >= $(date -u -d 2026-12-01T00:00:00Z +%s))) || fail "the clock must be past 2026-11"

function_zip=$project/target/function.zip
if [[ ! -f $function_zip || -n $(find "$project/src/main" "$project/pom.xml" -newer "$function_zip" -print -quit) ]]; then
    echo "smoke: building $function_zip"
    (cd "$project" && ./mvnw -B -q package -DskipTests)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/runmeter-smoke.XXXXXX")
# Its own directory, because the server runs as postgres when this script runs as root.
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/runmeter-smoke-pg.XXXXXX")
pg_data=$pg_dir/data
pg_started=

as_postgres() {
    # PostgreSQL refuses to run as root.
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

cleanup() {
    local status=$?
    if [[ -n $pg_started ]]; then
        as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w -t 30 stop >/dev/null || true
    fi
    rm -rf "$work" "$pg_dir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$password" >"$pg_dir/password"
[[ $(id -u) -ne 0 ]] || chown -R postgres: "$pg_dir"
as_postgres "$pg_bin/initdb" -D "$pg_data" -U runmeter --pwfile="$pg_dir/password" --auth=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >/dev/null
for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue # taken
    if as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir -c fsync=off" start >/dev/null; then
        pg_started=yes
        break
    fi
done
[[ -n $pg_started ]] || fail "PostgreSQL did not start: $(tail -5 "$pg_dir/server.log" 2>/dev/null)"
export PGPASSWORD=$password
"$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U runmeter runmeter
echo "smoke: PostgreSQL 15 on 127.0.0.1:$port"

export QUARKUS_DATASOURCE_JDBC_URL=jdbc:postgresql://127.0.0.1:$port/runmeter
export QUARKUS_DATASOURCE_USERNAME=runmeter
export QUARKUS_DATASOURCE_PASSWORD=$password
export QUARKUS_FLYWAY_MIGRATE_AT_START=true

failures=0

# expect <what> <text> <fragment>...: the text contains the literal fragments in this order.
expect() {
    local what=$1 text=$2 rest=$2 fragment
    shift 2
    for fragment in "$@"; do
        if [[ $rest != *"$fragment"* ]]; then
            echo "FAIL $what: no '$fragment' (in order) in: $text"
            failures=$((failures + 1))
            return
        fi
        rest=${rest#*"$fragment"}
    done
    echo "ok   $what"
}

# run_function <name> <event>...: answers land in the array `answers`, the function's logs in $work/<name>.log.
run_function() {
    local name=$1 status=0
    shift
    "$here/run.sh" usage "$@" >"$work/$name.out" 2>"$work/$name.log" || status=$?
    mapfile -t answers <"$work/$name.out"
    grep '^lambda-local: ' "$work/$name.log" | sed "s/^/smoke: $name: /" || true
    if [[ $status -ne 0 || ${#answers[@]} -ne $# ]]; then
        tail -40 "$work/$name.log"
        fail "$name: run.sh exited $status with ${#answers[@]} answers for $# events"
    fi
}

run_function cold-start-empty-database \
    "$events/http-api-get-usage.json" \
    "$events/http-api-get-usage-no-authorizer.json" \
    "$events/http-api-get-usage-invalid-month.json"
expect "sample event on an empty database: 200, default plan, nothing used" "${answers[0]}" \
    '{"statusCode":200,' '"content-type":"application/json"' \
    "\\\"userId\\\":\\\"$user\\\"" '\"month\":\"2026-11\"' '\"plan\":\"free\"' '\"limitMinutes\":60,' \
    '\"usedMinutes\":0.00,' '\"remainingMinutes\":60.00,' '\"limitReached\":false,' '\"usedMs\":0,'
expect "no JWT claims: 401 unauthorized problem" "${answers[1]}" \
    '{"statusCode":401,' '"content-type":"application/problem+json"' '\"status\":401,' '\"code\":\"unauthorized\"'
expect "month=2026-13: 400 invalid_month problem" "${answers[2]}" \
    '{"statusCode":400,' '"content-type":"application/problem+json"' '\"status\":400,' '\"code\":\"invalid_month\"'
expect "migrate-at-start applied the schema (JSON log)" "$(grep -F 'Successfully applied' "$work/cold-start-empty-database.log" || true)" \
    '{"timestamp":"' '"level":"INFO"' '"message":"Successfully applied 1 migration'

# Runs of the sample user around 2026-11 (UTC), in start order, with what each bills inside November:
#   ...01 completed 10-31 23:30 -> 11-01 00:15  crosses the month start      900000 ms in November (started in October)
#   ...02 completed 11-10 10:00 -> 10:42:30.300                             2550300 ms
#   ...03 completed, ends before it starts                                    0 ms, logged as suspicious
#   ...04 failed/timeout 08:00 -> 10:30                                     7200000 ms (capped at max-duration 2 h)
#   ...05 failed/stuck                                                        0 ms
#   ...06 running since 11-25, overdue                                        0 ms
#   ...07 stopped 11-30 23:50 -> 12-01 00:20  crosses the month end          600000 ms
# used = 11250300 ms = 187.505 min: 187.51 rounded half-up (half-even would give 187.50); the plan allows 120.
"$pg_bin/psql" -h 127.0.0.1 -p "$port" -U runmeter -d runmeter -v ON_ERROR_STOP=1 -q <<SQL
INSERT INTO accounts (user_id, plan) VALUES ('$user', 'tier_2_20');
INSERT INTO agent_runs (id, user_id, status, started_at, completed_at, failure_reason) VALUES
    ('00000000-0000-4000-8000-000000000001', '$user', 'completed', '2026-10-31T23:30:00Z', '2026-11-01T00:15:00Z', NULL),
    ('00000000-0000-4000-8000-000000000002', '$user', 'completed', '2026-11-10T10:00:00Z', '2026-11-10T10:42:30.300Z', NULL),
    ('00000000-0000-4000-8000-000000000003', '$user', 'completed', '2026-11-15T12:00:00Z', '2026-11-15T11:00:00Z', NULL),
    ('00000000-0000-4000-8000-000000000004', '$user', 'failed', '2026-11-20T08:00:00Z', '2026-11-20T10:30:00Z', 'timeout'),
    ('00000000-0000-4000-8000-000000000005', '$user', 'failed', '2026-11-21T00:00:00Z', '2026-11-21T03:00:00Z', 'stuck'),
    ('00000000-0000-4000-8000-000000000006', '$user', 'running', '2026-11-25T00:00:00Z', NULL, NULL),
    ('00000000-0000-4000-8000-000000000007', '$user', 'stopped', '2026-11-30T23:50:00Z', '2026-12-01T00:20:00Z', NULL),
    ('00000000-0000-4000-8000-000000000099', 'another-user', 'completed', '2026-11-12T09:00:00Z', '2026-11-12T10:00:00Z', NULL);
SQL

run_function cold-start-seeded-database "$events/http-api-get-usage.json" "$events/http-api-get-usage-runs.json"
expect "sample event on seeded runs: exact usage, over the limit" "${answers[0]}" \
    '{"statusCode":200,' "\\\"userId\\\":\\\"$user\\\"" '\"plan\":\"tier_2_20\"' '\"limitMinutes\":120,' \
    '\"usedMinutes\":187.51,' '\"inFlightMinutes\":0.00,' '\"remainingMinutes\":0.00,' '\"limitReached\":true,' \
    '\"usedMs\":11250300,' '\"inFlightMs\":0,' \
    '\"runs\":{\"running\":1,\"completed\":2,\"failed\":2,\"stopped\":1}'
expect "breakdown, first page of 5: oldest first, clipped to November, a cursor for the rest" "${answers[1]}" \
    '{"statusCode":200,' '\"month\":\"2026-11\"' \
    '\"runId\":\"00000000-0000-4000-8000-000000000001\"' '\"billedMs\":900000,' \
    '\"runId\":\"00000000-0000-4000-8000-000000000002\"' '\"billedMs\":2550300,' \
    '\"runId\":\"00000000-0000-4000-8000-000000000003\"' '\"billedMs\":0,' \
    '\"runId\":\"00000000-0000-4000-8000-000000000004\"' '\"failureReason\":\"timeout\"' '\"billedMs\":7200000,' \
    '\"runId\":\"00000000-0000-4000-8000-000000000005\"' '\"failureReason\":\"stuck\"' '\"billedMs\":0,' \
    '\"nextCursor\":\"'
expect "breakdown stops at 5 runs" "runs=$(grep -o 'runId' <<<"${answers[1]}" | wc -l)." "runs=5."
expect "usage logged as JSON" "$(grep -F 'Calculated 187.51 minutes' "$work/cold-start-seeded-database.log" || true)" \
    '{"timestamp":"' '"loggerName":"dev.runmeter.usage.UsageService"' '"level":"INFO"' \
    "\"message\":\"Calculated 187.51 minutes of usage for user $user for month 2026-11\""
expect "suspicious run logged as JSON" "$(grep -F 'suspicious duration' "$work/cold-start-seeded-database.log" || true)" \
    '{"timestamp":"' '"level":"WARN"' \
    '"message":"Skipping agent run 00000000-0000-4000-8000-000000000003 with suspicious duration"'

if ((failures > 0)); then
    fail "$failures check(s) failed"
fi
echo "smoke: all checks passed"
