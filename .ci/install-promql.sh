#!/usr/bin/env bash
# Installs Prometheus's own PromQL grammar (@prometheus-io/lezer-promql, the parser of the Prometheus UI) and
# .ci/promql/parse.mjs into artifacts/tools/promql, where tests/LeaseAgent.Packaging.Tests runs it with node to parse
# the chart's alert expressions and the dashboard's queries. Run by .ci/run; run it once by hand before `dotnet test`
# on a new checkout. `npm ci` installs exactly .ci/promql/package-lock.json, checking each tarball's sha512.
set -euo pipefail
cd "$(dirname "$0")/.."

source=.ci/promql
target=artifacts/tools/promql

up_to_date() {
  [[ -f $target/node_modules/@prometheus-io/lezer-promql/package.json ]] || return 1
  for file in package.json package-lock.json parse.mjs; do
    cmp -s "$source/$file" "$target/$file" || return 1
  done
}

if up_to_date; then
  exit 0
fi

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo ".ci/install-promql.sh: $tool is required" >&2; exit 1; }
done

rm -rf "$target"
mkdir -p "$target"
cp "$source/package.json" "$source/package-lock.json" "$source/parse.mjs" "$target/"
(cd "$target" && npm ci --ignore-scripts --no-audit --no-fund --silent)
echo '["sum by (job) (rate(up[5m]))"]' | node "$target/parse.mjs" | grep -qx '\[\[\]\]' \
  || { echo ".ci/install-promql.sh: $target/parse.mjs does not parse a plain expression" >&2; exit 1; }
echo "PromQL grammar installed in $target"
