#!/usr/bin/env bash
# Regenerates PublicAPI.Unshipped.txt of every package library (each folder under src/ with a PublicAPI.Shipped.txt)
# from the code: empties the Unshipped files, builds the libraries with warnings not treated as errors, and writes back
# what the public API analyzers report: RS0016 (public, not declared) as a line, RS0017 (declared in Shipped, no longer
# public) as a *REMOVED* line. PublicAPI.Shipped.txt is never changed: moving lines there is a release's decision.
#
#   scripts/update-public-api.sh        # from anywhere; about a minute on two cores when nothing else is built
#
# It builds in the repository itself (Debug, the same obj/ as `dotnet build`): do not run it while another build of the
# same tree runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"  # physical: MSBuild reports physical paths
cd "$root"

mapfile -t dirs < <(find src -name PublicAPI.Shipped.txt -printf '%h\n' | LC_ALL=C sort)
if [ "${#dirs[@]}" -eq 0 ]; then echo "update-public-api: no PublicAPI.Shipped.txt under src/" >&2; exit 1; fi

log="$(mktemp)"
backup="$(mktemp -d)"
trap 'rm -rf "$log" "$backup"' EXIT
for d in "${dirs[@]}"; do mkdir -p "$backup/$d" && cp "$d/PublicAPI.Unshipped.txt" "$backup/$d/"; done
restore() { for d in "${dirs[@]}"; do cp "$backup/$d/PublicAPI.Unshipped.txt" "$d/"; done; }

# Emptied files are newer than the last compile, so every library compiles again and reports its whole surface once.
for d in "${dirs[@]}"; do printf '#nullable enable\n' > "$d/PublicAPI.Unshipped.txt"; done

for d in "${dirs[@]}"; do
  project="$(ls "$d"/*.csproj)"
  if ! dotnet build "$project" -nologo -v:q -clp:NoSummary -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= >>"$log" 2>&1; then
    cat "$log" >&2
    restore
    echo "update-public-api: the build of $project failed (above); the Unshipped files are as they were." >&2
    exit 1
  fi
done

for d in "${dirs[@]}"; do
  project="$root/$(ls "$d"/*.csproj)"
  out="$d/PublicAPI.Unshipped.txt"
  {
    printf '#nullable enable\n'
    {
      grep -F "[$project]" "$log" | sed -n "s/.*warning RS0016: Symbol '\(.*\)' is not part of the declared public API .*/\1/p" || true
      grep -F "[$project]" "$log" | sed -n "s/.*warning RS0017: Symbol '\(.*\)' is part of the declared API, but .*/*REMOVED*\1/p" || true
    } | LC_ALL=C sort -u
  } > "$out"
  echo "update-public-api: $out: $(($(wc -l < "$out") - 1)) lines"
done
