#!/usr/bin/env bash
# Runs the test suite (README.md's test command, `dotnet test`) N times back to back, to bring out tests that fail
# only now and then. It builds once (`dotnet build`), then runs `dotnet test --no-build` N times, each writing TRX
# files into a folder of its own, and ends with a summary read from them (scripts/soak-summary.cs): the runs, every
# test that failed with the runs it failed in and the message of each failure, and the plain line
# `N passed, N failed, N skipped` totalled over all runs. A run whose test host crashed counts as a failure.
#
#   scripts/soak.sh 10                                            the whole suite, ten times
#   scripts/soak.sh 2 --filter "FullyQualifiedName~Sqlite|FullyQualifiedName~DuckDb"   a filter, or any other option of
#                                                                 `dotnet test`, is passed on to every run
#
# Engines: whatever HARNESS_* variables are in the environment reach every run, as they reach `dotnet test`
# (eval "$(scripts/engines.sh postgresql mariadb check-tools)" first for the server engines); their names, never
# their values, are printed. Careful on shared engines: the whole suite includes the server-crash tests, which stop
# the servers; a filter such as "FullyQualifiedName!~ServerCrash&FullyQualifiedName!~CrashedServer" leaves them out.
#
# Results: TestResults/soak-YYYYMMDD-HHMMSS/run-K/ (the TRX files, console.log, exit), or SOAK_RESULTS if set.
# Exit code: 0 every run passed; 1 a test failed in some run, or the build failed; 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/soak.sh N [dotnet test options, e.g. --filter EXPRESSION]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
runs=$1
shift
[[ $runs =~ ^[1-9][0-9]*$ ]] || usage
for option in "$@"; do
  # Every run uses the one build; an option that changes what is built would test another build than the one made.
  case $option in
    --no-build | -c | --configuration | -f | --framework | -r | --runtime) echo "soak: $option is not passed on: soak builds once, with the default configuration" >&2; exit 2 ;;
  esac
done

results=${SOAK_RESULTS:-TestResults/soak-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$results"
engines=$(compgen -e | grep '^HARNESS_' | grep -v -e '_CRASH$' -e '_START$' | tr '\n' ' ' || true)
echo "== soak: $runs run(s) of dotnet test --no-build $*"
echo "== engines from the environment: ${engines:-none (SQLite and DuckDB only; server engines skip)}"
echo "== results: $results"

echo "== dotnet build"
if ! dotnet build --nologo -v quiet; then
  echo "soak: the build failed; no run was made" >&2
  exit 1
fi

for run in $(seq 1 "$runs"); do
  folder="$results/run-$run"
  mkdir -p "$folder"
  start=$(date +%s)
  set +e
  dotnet test --no-build --logger trx --results-directory "$folder" "$@" >"$folder/console.log" 2>&1
  status=$?
  set -e
  echo "$status" >"$folder/exit"
  # dotnet test's own one-line summary (one per test project), or the last line it wrote when it has none.
  summary=$(grep -E '^(Passed|Failed)!' "$folder/console.log" || tail -n 1 "$folder/console.log")
  echo "run $run/$runs: exit $status in $(( $(date +%s) - start )) s: $summary"
done

dotnet run scripts/soak-summary.cs -- "$results"
