#!/usr/bin/env bash
# Validates the agent-run state machine with asl-validator, the way CloudFormation will see it.
#
# The definition carries CloudFormation DefinitionSubstitutions placeholders. CloudFormation replaces them as
# plain text before it parses the JSON, which is what lets the numeric ones (TimeoutSeconds, HeartbeatSeconds)
# stand unquoted; so this check does the same with sample values of the right kind and then validates.
# The tests in src/test/java/dev/runmeter/infra check what asl-validator cannot (timeouts, catch targets,
# that the substituted numbers equal the template's parameters and the application's settings).
set -euo pipefail

infra_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
definition="$infra_dir/statemachine/agent-run.asl.json"

cd "$infra_dir"
npm ci --no-audit --no-fund --loglevel=error

work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT
substituted="$work_dir/agent-run.asl.json"

node - "$definition" "$substituted" <<'JS'
const fs = require('fs');
const [source, target] = process.argv.slice(2);
const samples = [
  [/Seconds$/, '7200'],
  [/FunctionArn$/, 'arn:aws:lambda:us-east-1:123456789012:function:runmeter-run-finalizer'],
  [/QueueUrl$/, 'https://sqs.us-east-1.amazonaws.com/123456789012/runmeter-agent-work'],
];
const unknown = new Set();
const text = fs.readFileSync(source, 'utf8').replace(/\$\{([A-Za-z0-9]+)\}/g, (placeholder, name) => {
  const sample = samples.find(([pattern]) => pattern.test(name));
  if (!sample) {
    unknown.add(name);
    return placeholder;
  }
  return sample[1];
});
if (unknown.size > 0) {
  console.error(`No sample value for placeholder(s): ${[...unknown].join(', ')}; add one to infra/check.sh`);
  process.exit(1);
}
JSON.parse(text);
fs.writeFileSync(target, text);
JS

npx --no-install asl-validator --json-path "$substituted"
echo "infra/check.sh: $(basename "$definition") is valid ASL"
