#!/usr/bin/env bash
# The fault catalogue's page: every seeded flaw run through every test of its property suites on every engine
# this machine provides, and docs/faults.md written from what went red. The ordinary test run (and .ci/run) runs
# the same catalogue but stops each fault at its first red test; this runs them all, so it takes longer (see README).
# Engines: those HARNESS_* names (source the output of scripts/engines.sh first to include the server engines).
# An argument narrows the run with a test filter: scripts/faults.sh "FullyQualifiedName~MariaDb" runs one engine's
# cases again and keeps the others' outcomes (docs/faults.json) on the page.
set -euo pipefail
cd "$(dirname "$0")/.."
export HARNESS_FAULTS_DOC="$PWD/docs/faults.md"
dotnet test --filter "Category=Faults${1:+&$1}"
echo "wrote $HARNESS_FAULTS_DOC"
