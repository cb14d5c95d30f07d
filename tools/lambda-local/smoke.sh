#!/usr/bin/env bash
# End-to-end check of the packaged functions run the way AWS Lambda runs them (tools/lambda-local/run.sh), each
# handler in its own run.sh invocation (a cold start of its own), against one throwaway PostgreSQL 15 on 127.0.0.1
# and, for the handlers that drive Step Functions, a fake Step Functions endpoint (FakeStepFunctions.java) that
# records every request. Builds target/function.zip when it is missing or older than the sources.
#   usage          migrate-at-start on the empty database; the sample event, no JWT (401), a bad month (400); then
#                  seeded runs that exercise the billing rules: exact usage, the breakdown, the JSON log lines.
#   runs           POST /v1/runs (202, one StartExecution named after the run id) and its replay (200, no second
#                  execution); then, in a second cold start, GET the run, stop it (StopExecution), stop it again (409).
#   run-finalizer  seeded running runs: success as the state machine sends it and its duplicate delivery
#                  (unchanged), a timeout with an offset completedAt, an offset-less completedAt and an unknown run
#                  (typed Lambda errors that write nothing).
#   sweep          the EventBridge Scheduled Event over seeded runs (overdue with a SUCCEEDED execution, overdue
#                  with no execution, healthy, in grace), the same event again (no change), a direct stats invoke.
# The database is checked after each. Exits non-zero on any mismatch. Needs bash, a JDK 17, curl and PostgreSQL 15
# binaries (PG_BIN).
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
sfn_pid=

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
    if [[ -n $sfn_pid ]]; then
        kill "$sfn_pid" 2>/dev/null || true
        wait "$sfn_pid" 2>/dev/null || true
    fi
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

# expect_each <what> <text> <fragment>...: the text contains every literal fragment, in any order.
expect_each() {
    local what=$1 text=$2 fragment
    shift 2
    for fragment in "$@"; do
        if [[ $text != *"$fragment"* ]]; then
            echo "FAIL $what: no '$fragment' in: $text"
            failures=$((failures + 1))
            return
        fi
    done
    echo "ok   $what"
}

# expect_equal <what> <actual> <expected>
expect_equal() {
    if [[ $2 == "$3" ]]; then
        echo "ok   $1"
    else
        echo "FAIL $1: expected '$3', got '$2'"
        failures=$((failures + 1))
    fi
}

# run_function <handler> <name> <event>...: answers land in the array `answers`, run.sh's exit status in
# `function_status` (0, or 3 when the function returned an error for an event), the logs in $work/<name>.log.
run_function() {
    local handler=$1 name=$2
    shift 2
    function_status=0
    "$here/run.sh" "$handler" "$@" >"$work/$name.out" 2>"$work/$name.log" || function_status=$?
    mapfile -t answers <"$work/$name.out"
    grep '^lambda-local: ' "$work/$name.log" | sed "s/^/smoke: $name: /" || true
    if [[ ($function_status -ne 0 && $function_status -ne 3) || ${#answers[@]} -ne $# ]]; then
        tail -40 "$work/$name.log"
        fail "$name: run.sh exited $function_status with ${#answers[@]} answers for $# events"
    fi
}

# sql <statement>: the rows, fields separated by |, instants in UTC.
sql() {
    PGTZ=UTC "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U runmeter -d runmeter -v ON_ERROR_STOP=1 -qtA -c "$1"
}

section() {
    echo "smoke: ---- $*"
}

section "usage"
run_function usage cold-start-empty-database \
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
    '{"timestamp":"' '"level":"INFO"' '"message":"Successfully applied '

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

run_function usage cold-start-seeded-database "$events/http-api-get-usage.json" "$events/http-api-get-usage-runs.json"
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

# ---- The handlers that drive Step Functions (runs, sweep) reach the fake through the SDK's usual settings; every
# handler from here on gets the same environment, as every function of the stack does.
readonly state_machine_arn=arn:aws:states:us-east-1:123456789012:stateMachine:runmeter-agent-run
readonly execution_arn_prefix=arn:aws:states:us-east-1:123456789012:execution:runmeter-agent-run:
sfn_requests=$work/step-functions-requests.jsonl
sfn_executions=$work/step-functions-executions.tsv
java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx64m "$here/FakeStepFunctions.java" --port 0 \
    --port-file "$work/step-functions.port" --requests-file "$sfn_requests" --executions-file "$sfn_executions" \
    2>"$work/step-functions.log" &
sfn_pid=$!
for _ in $(seq 300); do
    [[ -f $work/step-functions.port ]] && break
    kill -0 "$sfn_pid" 2>/dev/null || fail "the fake Step Functions endpoint did not start: $(<"$work/step-functions.log")"
    sleep 0.1
done
[[ -f $work/step-functions.port ]] || fail "the fake Step Functions endpoint did not listen within 30 s"
echo "smoke: fake Step Functions on 127.0.0.1:$(<"$work/step-functions.port")"

export RUNMETER_STEP_FUNCTIONS_ENDPOINT_OVERRIDE=http://127.0.0.1:$(<"$work/step-functions.port")
export RUNMETER_STEP_FUNCTIONS_STATE_MACHINE_ARN=$state_machine_arn
export AWS_REGION=us-east-1
# AWS's documented example key: the fake checks that requests are signed, not by whom.
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
unset AWS_SESSION_TOKEN

# sfn_calls <operation>: the requests the fake recorded for one operation, one JSON line each.
sfn_calls() {
    grep -F "\"target\":\"AWSStepFunctions.$1\"" "$sfn_requests" || true
}

# count_lines: the non-empty lines on standard input.
count_lines() {
    grep -c . || true
}

# A section starts with no runs, no recorded requests and no seeded executions.
fresh_section() {
    section "$1"
    sql "DELETE FROM agent_runs" >/dev/null
    : >"$sfn_requests"
    : >"$sfn_executions"
}

# field_of <name> <text>: the value of the first "name":"value" in text, with or without escaped quotes.
field_of() {
    local rest=${2#*\"$1\\\":\\\"}
    [[ $rest != "$2" ]] || rest=${2#*\"$1\":\"}
    [[ $rest != "$2" ]] || return 0
    rest=${rest%%\"*}
    echo "${rest%\\}"
}

readonly uuid_pattern='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

fresh_section "runs"
run_function runs runs-start "$events/http-api-post-run-base64.json" "$events/http-api-post-run-base64.json"
run_id=$(field_of runId "${answers[0]}")
[[ $run_id =~ $uuid_pattern ]] || fail "no run id in the answer to POST /v1/runs: ${answers[0]}"
execution_arn=$execution_arn_prefix$run_id
expect "POST /v1/runs (base64 body, Idempotency-Key): 202, running, with its execution" "${answers[0]}" \
    '{"statusCode":202,' '"content-type":"application/json"' "\\\"runId\\\":\\\"$run_id\\\"" \
    "\\\"userId\\\":\\\"$user\\\"" '\"threadId\":\"thread-42\"' '\"status\":\"running\"' '\"completedAt\":null' \
    "\\\"executionArn\\\":\\\"$execution_arn\\\""
expect "the same POST again: 200, the same run" "${answers[1]}" \
    '{"statusCode":200,' "\\\"runId\\\":\\\"$run_id\\\"" '\"status\":\"running\"' \
    "\\\"executionArn\\\":\\\"$execution_arn\\\""
starts=$(sfn_calls StartExecution)
expect_equal "one StartExecution for the two POSTs" "$(count_lines <<<"$starts")" 1
expect_each "StartExecution: JSON 1.0, signed for us-east-1, named after the run id, the run as input" "$starts" \
    '"contentType":"application/x-amz-json-1.0"' '"credentialScope":"AKIAIOSFODNN7EXAMPLE/' \
    '/us-east-1/states/aws4_request"' '"status":200' "\"stateMachineArn\":\"$state_machine_arn\"" \
    "\"name\":\"$run_id\"" "\\\"runId\\\":\\\"$run_id\\\"" "\\\"userId\\\":\\\"$user\\\"" \
    '\"threadId\":\"thread-42\"' '\"input\":{\"prompt\":\"Summarise the report\"}' '\"deadline\":\"'
expect_equal "database: one run, running, with its thread, idempotency key and execution" \
    "$(sql "SELECT id, user_id, thread_id, status, idempotency_key, execution_arn, completed_at IS NULL FROM agent_runs")" \
    "$run_id|$user|thread-42|running|7d0c8b1e-run-request-1|$execution_arn|t"

# The sample events name a sample run; these name the one just started.
readonly sample_run_id=5b0e7c1d-2f4a-4c8e-9b1a-6d3f2e1c0a9b
sed "s/$sample_run_id/$run_id/g" "$events/http-api-get-run.json" >"$work/get-run.json"
sed "s/$sample_run_id/$run_id/g" "$events/http-api-post-stop-run.json" >"$work/stop-run.json"
run_function runs runs-read-and-stop "$work/get-run.json" "$work/stop-run.json" "$work/stop-run.json"
expect "GET /v1/runs/{runId} in another cold start: 200, running" "${answers[0]}" \
    '{"statusCode":200,' "\\\"runId\\\":\\\"$run_id\\\"" '\"threadId\":\"thread-42\"' '\"status\":\"running\"' \
    '\"completedAt\":null' "\\\"executionArn\\\":\\\"$execution_arn\\\""
expect "POST /v1/runs/{runId}/stop: 200, stopped now" "${answers[1]}" \
    '{"statusCode":200,' "\\\"runId\\\":\\\"$run_id\\\"" '\"status\":\"stopped\"' '\"completedAt\":\"' \
    '\"failureReason\":null'
expect "stopping it again: 409 run_not_running" "${answers[2]}" \
    '{"statusCode":409,' '"content-type":"application/problem+json"' '\"code\":\"run_not_running\"'
stops=$(sfn_calls StopExecution)
expect_equal "one StopExecution for the two stops" "$(count_lines <<<"$stops")" 1
expect_each "StopExecution of the run's execution" "$stops" '"status":200' \
    "\"executionArn\":\"$execution_arn\"" '"error":"runmeter.Stopped"'
expect_equal "still one StartExecution in all" "$(sfn_calls StartExecution | count_lines)" 1
stopped_at=$(field_of completedAt "${answers[1]}")
expect_equal "database: stopped at the time it answered, billed from its start" \
    "$(sql "SELECT status, failure_reason IS NULL, completed_at = '$stopped_at', completed_at > started_at
              FROM agent_runs WHERE id = '$run_id'")" \
    "stopped|t|t|t"

fresh_section "run-finalizer"
succeeded_run=00000000-0000-4000-8000-0000000000f1
timed_out_run=00000000-0000-4000-8000-0000000000f2
offsetless_run=00000000-0000-4000-8000-0000000000f3
unknown_run=00000000-0000-4000-8000-0000000000f9
sql "INSERT INTO agent_runs (id, user_id, status, started_at, execution_arn) VALUES
    ('$succeeded_run', '$user', 'running', now() - interval '30 minutes', '$execution_arn_prefix$succeeded_run'),
    ('$timed_out_run', '$user', 'running', '2026-12-01T10:00:00Z', '$execution_arn_prefix$timed_out_run'),
    ('$offsetless_run', '$user', 'running', '2026-12-01T10:00:00Z', '$execution_arn_prefix$offsetless_run')" >/dev/null
# What the state machine's FinalizeSucceeded and FinalizeTimedOut states send (completedAt is optional).
printf '{"runId": "%s", "outcome": "succeeded"}\n' "$succeeded_run" >"$work/finalize-succeeded.json"
printf '{"runId": "%s", "outcome": "failed", "error": "States.Timeout", "cause": "%s", "completedAt": "%s"}\n' \
    "$timed_out_run" "The task timed out." "2026-12-01T13:00:00.250+01:00" >"$work/finalize-timed-out.json"
printf '{"runId": "%s", "outcome": "succeeded", "completedAt": "2026-12-01T11:00:00"}\n' "$offsetless_run" \
    >"$work/finalize-offsetless.json"
printf '{"runId": "%s", "outcome": "succeeded"}\n' "$unknown_run" >"$work/finalize-unknown.json"
finalized_after=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
run_function run-finalizer run-finalizer "$work/finalize-succeeded.json" "$work/finalize-succeeded.json" \
    "$work/finalize-timed-out.json" "$work/finalize-offsetless.json" "$work/finalize-unknown.json"
expect "succeeded, as the state machine sends it: completed now" "${answers[0]}" \
    "{\"runId\":\"$succeeded_run\"" '"status":"completed"' '"completedAt":"' '"failureReason":null,"error":null,' \
    "\"executionArn\":\"$execution_arn_prefix$succeeded_run\"}"
expect_equal "the same finalization delivered again: the run unchanged" "${answers[1]}" "${answers[0]}"
expect "States.Timeout with completedAt at +01:00: failed/timeout at that instant, billed the 2 h time box" \
    "${answers[2]}" "{\"runId\":\"$timed_out_run\"" '"status":"failed"' \
    '"completedAt":"2026-12-01T12:00:00.250Z","failureReason":"timeout","error":"Agent run exceeded 2.0 hour timeout","billedMs":7200000,'
expect_each "completedAt without an offset: typed error InvalidEventException" "${answers[3]}" \
    '"errorType":"dev.runmeter.lambda.InvalidEventException"' '"errorMessage":"completedAt must be an ISO-8601 timestamp with an offset'
expect_each "an unknown run: typed error RunNotFoundException" "${answers[4]}" \
    '"errorType":"dev.runmeter.runs.RunNotFoundException"' "\"errorMessage\":\"No agent run $unknown_run\""
expect_equal "run.sh reports the function errors (exit 3)" "$function_status" 3
completed_at=$(field_of completedAt "${answers[0]}")
expect_equal "database: completed when it answered, timed out at the given instant, the rejected run untouched" \
    "$(sql "SELECT id, status, coalesce(failure_reason, '-'),
                   CASE WHEN id = '$succeeded_run'
                        THEN (completed_at = '$completed_at' AND completed_at BETWEEN '$finalized_after' AND now())::text
                        ELSE coalesce(to_char(completed_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS'), '-') END
              FROM agent_runs ORDER BY id")" \
    "$succeeded_run|completed|-|true
$timed_out_run|failed|timeout|2026-12-01T12:00:00.250
$offsetless_run|running|-|-"
expect "the duplicate logged as ignored (JSON log)" \
    "$(grep -F 'finalization ignored' "$work/run-finalizer.log" || true)" '{"timestamp":"' \
    "\"message\":\"Agent run $succeeded_run of user $user is already completed; finalization ignored\""
expect_equal "run-finalizer never calls Step Functions" "$(count_lines <"$sfn_requests")" 0

fresh_section "sweep"
now_s=$(date -u +%s)
instant() {
    date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
}
reconciled_run=00000000-0000-4000-8000-0000000000a1 # overdue; its execution SUCCEEDED 90 minutes in
lost_run=00000000-0000-4000-8000-0000000000a2       # overdue; Step Functions has no such execution
healthy_run=00000000-0000-4000-8000-0000000000a3    # 1 h 55 min old: inside its time box
in_grace_run=00000000-0000-4000-8000-0000000000a4   # 2 h 5 min old: past the box, within the 15 min grace
reconciled_start=$(instant $((now_s - 3 * 3600)))
reconciled_stop=$(instant $((now_s - 3 * 3600 + 90 * 60)))
lost_start=$(instant $((now_s - 4 * 3600)))
in_grace_start=$(instant $((now_s - 125 * 60)))
printf '%s\tSUCCEEDED\t%s\t%s\n' "$execution_arn_prefix$reconciled_run" "$reconciled_start" "$reconciled_stop" \
    >"$sfn_executions"
sql "INSERT INTO agent_runs (id, user_id, status, started_at, execution_arn) VALUES
    ('$reconciled_run', '$user', 'running', '$reconciled_start', '$execution_arn_prefix$reconciled_run'),
    ('$lost_run', '$user', 'running', '$lost_start', '$execution_arn_prefix$lost_run'),
    ('$healthy_run', '$user', 'running', '$(instant $((now_s - 115 * 60)))', '$execution_arn_prefix$healthy_run'),
    ('$in_grace_run', '$user', 'running', '$in_grace_start', '$execution_arn_prefix$in_grace_run')" >/dev/null
printf '{"mode": "stats"}\n' >"$work/sweep-stats.json"
swept_after=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
run_function sweep sweep "$events/eventbridge-scheduled.json" "$events/eventbridge-scheduled.json" \
    "$work/sweep-stats.json"
stats_after='"stats":{"byStatus":{"completed":1,"failed":1,"running":2,"stopped":0},"runningByAge":{"awaitingFinalizer":1,"oneToTwoHours":1,"overdue":0,"underOneHour":0},"runningOverOneHour":2,'
expect "EventBridge Scheduled Event: both overdue runs settled, the rest untouched" "${answers[0]}" \
    '{"mode":"all","dryRun":false,"found":2,"fixed":2,"deferred":0,"byOutcome":{"completed":1,"failed_stuck":1},' \
    "$stats_after" "\"oldestRunning\":{\"runId\":\"$in_grace_run\",\"startedAt\":\"$in_grace_start\",\"ageMinutes\":125}}}"
expect "the same event delivered again: nothing left to settle" "${answers[1]}" \
    '{"mode":"all","dryRun":false,"found":0,"fixed":0,"deferred":0,"byOutcome":{},' "$stats_after"
expect "direct invoke {\"mode\": \"stats\"}: the figures, nothing settled" "${answers[2]}" \
    '{"mode":"stats","dryRun":false,"found":0,"fixed":0,"deferred":0,"byOutcome":{},' "$stats_after" \
    "\"oldestRunning\":{\"runId\":\"$in_grace_run\""
describes=$(sfn_calls DescribeExecution)
expect_equal "one DescribeExecution per overdue run, nothing else asked of Step Functions" \
    "$(count_lines <<<"$describes")/$(count_lines <"$sfn_requests")" 2/2
# The sweep describes a batch's executions several at a time, so the two requests may come in either order.
expect "DescribeExecution of the lost run's execution: ExecutionDoesNotExist" \
    "$(grep -F "$execution_arn_prefix$lost_run" <<<"$describes")" '"status":400' \
    "\"executionArn\":\"$execution_arn_prefix$lost_run\""
expect "DescribeExecution of the reconciled run's execution: SUCCEEDED" \
    "$(grep -F "$execution_arn_prefix$reconciled_run" <<<"$describes")" '"status":200' \
    "\"executionArn\":\"$execution_arn_prefix$reconciled_run\""
expect_equal "database: reconciled at the execution's stop time, the lost run stuck now, the others running" \
    "$(sql "SELECT id, status, coalesce(failure_reason, '-'),
                   CASE WHEN id = '$lost_run' THEN (completed_at BETWEEN '$swept_after' AND now())::text
                        ELSE coalesce(to_char(completed_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-') END
              FROM agent_runs ORDER BY id")" \
    "$reconciled_run|completed|-|$reconciled_stop
$lost_run|failed|stuck|true
$healthy_run|running|-|-
$in_grace_run|running|-|-"
expect "sweep log lines (JSON)" "$(grep -F 'dev.runmeter.sweep' "$work/sweep.log" || true)" \
    "\"message\":\"Found stuck agent run $lost_run that started 240 minutes ago\"" \
    "\"message\":\"Agent run $lost_run reconciled from execution status NONE: failed_stuck\"" \
    "\"message\":\"Found stuck agent run $reconciled_run that started 180 minutes ago\"" \
    "\"message\":\"Agent run $reconciled_run reconciled from execution status SUCCEEDED: completed\""
expect "one CloudWatch EMF metric per outcome" "$(grep -F '"_aws"' "$work/sweep.log" || true)" \
    '"Namespace":"runmeter"' '"Name":"SweepSettled"' '"Outcome":"completed","SweepSettled":1}' \
    '"Outcome":"failed_stuck","SweepSettled":1}'

if ((failures > 0)); then
    fail "$failures check(s) failed"
fi
echo "smoke: all checks passed"
