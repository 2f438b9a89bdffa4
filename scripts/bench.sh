#!/usr/bin/env bash
# Runs the benchmark suite of issue 11 in one run and writes benchmarks/latest.json (the numbers) and
# benchmarks/latest.md (the ratio table) at the repository root. The suite is run by hand or by this script, never by
# `dotnet test`: it asserts nothing, it measures.
#
#   scripts/bench.sh                      # all parts, 3 rounds of 2 s windows, 5 opens, BenchmarkDotNet's short job
#   scripts/bench.sh --rounds 5 --opens 9 # more repetitions; also --window S, --warmup S, --no-micro
#
# About 5 minutes on two cores. Timings move with the machine's load: run it on a quiet machine and read the ratios,
# each against a floor measured in the same run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"
exec dotnet run -c Release --project tests/IpcBroker.Benchmarks -- all "$@"
