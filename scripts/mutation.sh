#!/usr/bin/env bash
# Mutation scores with Stryker.NET (pinned in .config/dotnet-tools.json), one area at a time. Each area has its own
# configuration in stryker/AREA.json: which files of src/ReliabilityHarness are mutated, and which tests of
# tests/ReliabilityHarness.Tests run for each mutant (coverage per test: only the tests that reach it). For each area
# it prints the figures per folder against the targets (scripts/mutation-figures.cs), every surviving mutant as
# file:line, and the lines Stryker could not compile. Reports: StrykerOutput/AREA/reports/mutation-report.{json,md}.
#
#   scripts/mutation.sh                       every area, one after the other (several hours on 2 cores)
#   scripts/mutation.sh histories matrix      the areas named: core (Payments/, Ingest/), histories, pipelines, matrix
#
# Engines: none for core, histories and matrix (SQLite and DuckDB only); pipelines also needs strace and python3
# (scripts/engines.sh check-tools). Areas, targets and last figures: docs/figures.md; survivors: docs/mutation-survivors.md.
# Exit code: 0 every target met; 1 a target missed or Stryker failed; 2 an unknown area.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
areas=("$@")
[ ${#areas[@]} -gt 0 ] || areas=(core histories pipelines matrix)
for area in "${areas[@]}"; do
  if [ ! -f "stryker/$area.json" ]; then
    echo "mutation: unknown area '$area'; known: $(cd stryker && ls *.json | sed 's/\.json$//' | tr '\n' ' ')" >&2
    exit 2
  fi
done

dotnet tool restore >/dev/null
status=0
for area in "${areas[@]}"; do
  out="$root/StrykerOutput/$area"
  rm -rf "$out"
  # Stryker runs from the test project and mutates the project the configuration names among its direct references.
  start=$(date +%s)
  (cd tests/ReliabilityHarness.Tests && dotnet tool run dotnet-stryker --config-file "$root/stryker/$area.json" --output "$out" --skip-version-check) || status=1
  seconds=$(( $(date +%s) - start ))
  report="$out/reports/mutation-report.json"
  if [ ! -f "$report" ]; then
    echo "mutation: Stryker wrote no report for $area ($report)" >&2
    status=1
    continue
  fi

  echo
  echo "== mutation score of $area, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD), Stryker took $((seconds / 60)) min $((seconds % 60)) s"
  dotnet run "$root/scripts/mutation-figures.cs" -- "$report" || status=1
done
exit $status
