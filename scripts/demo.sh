#!/usr/bin/env bash
# npm run demo: builds the examples (codegen, clang, tsc), then runs each one.
# The build is quiet: turbo's own lines and the tasks' logs show only when a
# task fails, so what the demo prints is the examples' output.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! log=$(turbo run build --filter='./examples/**' --output-logs=errors-only 2>&1); then
  printf '%s\n' "$log" >&2
  echo "demo: building the examples failed (above)" >&2
  exit 1
fi
npm start --silent -w @bpfmaps/example-flow-counter
echo
npm start --silent -w @bpfmaps/example-firewall
echo
npm start --silent -w @bpfmaps/example-syscount -- --duration 3
echo
# execsnoop prints the execs and exits of these runs of `true` as they happen.
(sleep 1 && for i in 1 2 3; do /bin/true "demo run $i"; sleep 0.2; done) &
npm start --silent -w @bpfmaps/example-execsnoop -- --duration 2.5 --comm true
wait
