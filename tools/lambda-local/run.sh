#!/usr/bin/env bash
# Runs the packaged JVM function (target/function.zip) the way AWS Lambda's java17 runtime runs it: AWS's runtime
# interface client (RIC) in a JVM whose working directory is the unpacked zip (the RIC loads the function from
# there and from its lib/, as it does from /var/task), talking to a local Runtime API emulator.
#
#   tools/lambda-local/run.sh <handler> [event.json ...]
#
# <handler> is the QUARKUS_LAMBDA_HANDLER (usage, runs, run-finalizer, sweep). Each event file is invoked in turn;
# without event files, one event is read from standard input.
# stdout: each answer (the function's response or error document), one per line, in event order.
# stderr: the emulator's START/END/REPORT lines, the function's own log output, timings.
# Exit status: 0 every event answered; 1 bad usage or setup; 2 an event got no answer (the rest are skipped);
# 3 the function returned an error for at least one event.
#
# The function sees a Lambda-like environment, not the caller's: only QUARKUS_*, RUNMETER_*, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and JAVA_TOOL_OPTIONS are passed through.
# Settings: AWS_REGION (us-east-1), LAMBDA_LOCAL_FUNCTION_ZIP (target/function.zip), LAMBDA_LOCAL_MEMORY_MB (512),
# LAMBDA_LOCAL_TIMEOUT_SECONDS (30, the function timeout), LAMBDA_LOCAL_INIT_TIMEOUT_SECONDS (60, how long an event
# may wait for the runtime to start), LAMBDA_LOCAL_REPORT_MEMORY (set: after the first answer, before the next event,
# log the function JVM's RSS and heap; the benchmarks use it).
set -euo pipefail

readonly QUARKUS_HANDLER_ENTRY=io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest
readonly RIC_MAIN=com.amazonaws.services.lambda.runtime.api.client.AWSLambda

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=$(cd "$here/../.." && pwd)

fail() {
    echo "lambda-local: $*" >&2
    exit 1
}

[[ $# -ge 1 && $1 != -* ]] || fail "usage: $0 <handler> [event.json ...]"
handler=$1
shift
for event in "$@"; do
    [[ -f $event ]] || fail "no such event file: $event"
done
command -v java >/dev/null || fail "java (JDK 17) is not on the PATH"
command -v jar >/dev/null || fail "jar (from the JDK) is not on the PATH"
command -v curl >/dev/null || fail "curl is not on the PATH"

function_zip=${LAMBDA_LOCAL_FUNCTION_ZIP:-$project/target/function.zip}
memory_mb=${LAMBDA_LOCAL_MEMORY_MB:-512}
timeout_seconds=${LAMBDA_LOCAL_TIMEOUT_SECONDS:-30}
init_timeout_seconds=${LAMBDA_LOCAL_INIT_TIMEOUT_SECONDS:-60}
region=${AWS_REGION:-us-east-1}
function_name=runmeter-$handler
[[ -f $function_zip ]] || fail "$function_zip is missing: run ./mvnw -B package -DskipTests first"

work=$(mktemp -d "${TMPDIR:-/tmp}/lambda-local.XXXXXX")
emulator_pid=
runtime_pid=

stop_process() {
    local pid=$1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    stop_process "$runtime_pid"
    stop_process "$emulator_pid"
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ $# -eq 0 ]]; then
    cat >"$work/stdin-event.json"
    set -- "$work/stdin-event.json"
fi

# The RIC and its dependencies are fetched once per pom version into target/ (Maven Central only).
ric_dir=$project/target/lambda-local/ric
if [[ ! -f $ric_dir/.complete || $here/ric-pom.xml -nt $ric_dir/.complete ]]; then
    rm -rf "$ric_dir"
    (cd "$project" && ./mvnw -q -B -f "$here/ric-pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$ric_dir") >&2 || fail "could not fetch the runtime interface client"
    touch "$ric_dir/.complete"
fi

task_root=$work/task
mkdir -p "$task_root"
(cd "$task_root" && jar xf "$function_zip")

port_file=$work/runtime-api.port
java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx64m "$here/LambdaRuntimeEmulator.java" \
    --port 0 --port-file "$port_file" --function-name "$function_name" --region "$region" \
    --timeout-seconds "$timeout_seconds" --init-timeout-seconds "$init_timeout_seconds" \
    --idle-exit-seconds $((init_timeout_seconds + timeout_seconds + 60)) >&2 &
emulator_pid=$!
for _ in $(seq 300); do
    [[ -f $port_file ]] && break
    kill -0 "$emulator_pid" 2>/dev/null || fail "the Runtime API emulator did not start"
    sleep 0.1
done
[[ -f $port_file ]] || fail "the Runtime API emulator did not listen within 30 s"
runtime_api=127.0.0.1:$(<"$port_file")

function_env=(
    PATH=/usr/local/bin:/usr/bin:/bin
    LANG=en_US.UTF-8
    TZ=:UTC
    AWS_LAMBDA_RUNTIME_API="$runtime_api"
    _HANDLER="$QUARKUS_HANDLER_ENTRY"
    QUARKUS_LAMBDA_HANDLER="$handler"
    LAMBDA_TASK_ROOT="$task_root"
    LAMBDA_RUNTIME_DIR="$ric_dir"
    AWS_EXECUTION_ENV=AWS_Lambda_java17
    AWS_REGION="$region"
    AWS_DEFAULT_REGION="$region"
    AWS_LAMBDA_FUNCTION_NAME="$function_name"
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE="$memory_mb"
    AWS_LAMBDA_FUNCTION_VERSION='$LATEST'
    AWS_LAMBDA_INITIALIZATION_TYPE=on-demand
    AWS_LAMBDA_LOG_GROUP_NAME="/aws/lambda/$function_name"
    AWS_LAMBDA_LOG_STREAM_NAME="$(date -u +%Y/%m/%d)/[\$LATEST]lambda-local"
)
while IFS= read -r name; do
    function_env+=("$name=${!name}")
done < <(compgen -e | grep -E '^(QUARKUS_|RUNMETER_)|^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|JAVA_TOOL_OPTIONS)$' || true)

# Close to what AWS's java17 launcher passes: C1 only (documented for Java 17), the serial GC, a heap of about
# 85 % of the function's memory.
launched_ns=$(date +%s%N)
(cd "$task_root" && exec env -i "${function_env[@]}" "$(command -v java)" \
    -XX:+TieredCompilation -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto \
    -XX:MaxHeapSize=$((memory_mb * 1024 * 85 / 100))k -Djava.net.preferIPv4Stack=true \
    -cp "$ric_dir/*" "$RIC_MAIN" "$QUARKUS_HANDLER_ENTRY") >&2 &
runtime_pid=$!

# Invokes one event; the answer lands in $work/answer, its headers in $work/answer.headers and curl's time for
# the whole exchange (seconds) in $work/answer.seconds. Returns 0 answered, 2 no answer, 3 a function error.
invoke() {
    local event=$1 curl_pid
    curl -sS --max-time $((init_timeout_seconds + timeout_seconds + 10)) \
        -H 'Content-Type: application/json' --data-binary "@$event" \
        -o "$work/answer" -D "$work/answer.headers" -w '%{http_code} %{time_total}' \
        "http://$runtime_api/2015-03-31/functions/$function_name/invocations" >"$work/answer.status" &
    curl_pid=$!
    # A runtime that dies without reporting an init error would leave the event queued until the init timeout.
    while kill -0 "$curl_pid" 2>/dev/null; do
        if ! kill -0 "$runtime_pid" 2>/dev/null; then
            # The emulator may still be sending the init error the runtime reported before exiting.
            for _ in $(seq 20); do
                kill -0 "$curl_pid" 2>/dev/null || break
                sleep 0.05
            done
            if kill -0 "$curl_pid" 2>/dev/null; then
                kill "$curl_pid" 2>/dev/null || true
                wait "$curl_pid" 2>/dev/null || true
                echo "lambda-local: the runtime exited before answering $event" >&2
                return 2
            fi
        fi
        sleep 0.02
    done
    wait "$curl_pid" || { echo "lambda-local: no answer for $event" >&2; return 2; }
    local status seconds
    read -r status seconds <"$work/answer.status"
    echo "$seconds" >"$work/answer.seconds"
    if [[ $status != 200 ]]; then
        echo "lambda-local: $event was not run (HTTP $status): $(<"$work/answer")" >&2
        return 2
    fi
    if grep -qi '^X-Amz-Function-Error:' "$work/answer.headers"; then
        return 3
    fi
    return 0
}

# Whole milliseconds of a duration curl reports in seconds with a fraction ("3.141593").
milliseconds() {
    local whole=${1%.*} fraction=${1#*.}000
    echo $((10#$whole * 1000 + 10#${fraction:0:3}))
}

# The function JVM's resident set (from /proc) and heap (jstat reads the JVM's perf data file; it does not attach).
report_memory() {
    local rss heap
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$runtime_pid/status" 2>/dev/null) || rss=unknown
    heap=$(jstat -gc "$runtime_pid" 2>/dev/null | awk 'NR == 2 {printf "%.0f kB of %.0f", $3 + $4 + $6 + $8, $1 + $2 + $5 + $7}') \
        || heap=
    echo "lambda-local: after the first answer: RSS ${rss} kB, heap used ${heap:-unknown} kB committed" >&2
}

exit_status=0
first_answer_ms=
for event in "$@"; do
    started_ns=$(date +%s%N)
    outcome=0
    invoke "$event" || outcome=$?
    if [[ $outcome -eq 2 ]]; then
        exit_status=2
        break
    fi
    exchange_ms=$(milliseconds "$(<"$work/answer.seconds")")
    # The answer arrived exchange_ms after the request left, whenever this loop noticed it.
    if [[ -z $first_answer_ms ]]; then
        first_answer_ms=$(((started_ns - launched_ns) / 1000000 + exchange_ms))
        [[ -z ${LAMBDA_LOCAL_REPORT_MEMORY:-} ]] || report_memory
    fi
    cat "$work/answer"
    echo
    if [[ $outcome -eq 3 ]]; then
        exit_status=3
        echo "lambda-local: $event: function error in $exchange_ms ms" >&2
    else
        echo "lambda-local: $event: answered in $exchange_ms ms" >&2
    fi
done
if [[ -n $first_answer_ms ]]; then
    echo "lambda-local: JVM launch to first answered invocation: $first_answer_ms ms" >&2
fi
exit "$exit_status"
