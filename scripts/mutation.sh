#!/usr/bin/env bash
# The mutation score of the core: Stryker.NET (pinned in .config/dotnet-tools.json) mutates
# src/ReliabilityHarness/Payments and src/ReliabilityHarness/Ingest and runs, for each mutant, the tests of
# tests/ReliabilityHarness.Tests that cover it (stryker-config.json says which tests and why). Then it prints the
# figures per folder against the targets (Payments >= 85 %, Ingest >= 75 %), every surviving mutant as file:line,
# and the lines Stryker could not compile. Reports: StrykerOutput/reports/mutation-report.{json,md}.
#
#   scripts/mutation.sh          about 40 minutes on a 2-core machine; no engine to provide (SQLite and DuckDB only)
#
# Exit code: 0 both targets met; 1 a target missed or Stryker failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out="$root/StrykerOutput"

dotnet tool restore >/dev/null
rm -rf "$out"

# Stryker runs from the test project and mutates the project stryker-config.json names among its direct references.
start=$(date +%s)
(cd tests/ReliabilityHarness.Tests && dotnet tool run dotnet-stryker --config-file "$root/stryker-config.json" --output "$out" --skip-version-check)
seconds=$(( $(date +%s) - start ))

report="$out/reports/mutation-report.json"
if [ ! -f "$report" ]; then
  echo "mutation: Stryker wrote no report ($report)" >&2
  exit 1
fi

echo
echo "== mutation score, $(date -u +%Y-%m-%d), Stryker took $((seconds / 60)) min $((seconds % 60)) s"
dotnet run "$root/scripts/mutation-figures.cs" -- "$report"
