#!/usr/bin/env bash
# Packs every packable project of the solution (the core, every provider, the NUnit fixture ReliabilityHarness.NUnit and
# the `reliability` tool) into artifacts/packages, a local folder feed
# (samples/dotnet-pipeline/nuget.config reads it; `dotnet tool install --add-source artifacts/packages ...` too).
# Our packages from an earlier run are removed first, from the folder and from the local NuGet cache: NuGet never
# looks at a feed again for a version it has cached, so a repack of the same version would not be consumed.
# (An installed tool is a copy of its own: `dotnet tool update` or uninstall and install it again.)
set -euo pipefail
cd "$(dirname "$0")/.."
feed=artifacts/packages
cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}

rm -f "$feed"/ReliabilityHarness*.nupkg "$feed"/ReliabilityHarness*.snupkg
rm -rf "$cache"/reliabilityharness "$cache"/reliabilityharness.*

dotnet pack -c Release -o "$feed"
echo "== $feed"
ls -l "$feed"/*.nupkg
