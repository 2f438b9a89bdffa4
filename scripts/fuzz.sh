#!/usr/bin/env bash
# Fuzzes one IpcBroker decoder with AFL++ and SharpFuzz for a given time.
#
#   scripts/fuzz.sh TARGET SECONDS        TARGET: frame | bundle | handshake
#
# Installs what is missing (Debian's afl++ through apt-get, the SharpFuzz.CommandLine tool into obj/), publishes
# tests/IpcBroker.Fuzzing, instruments the assemblies that decode the target's bytes, runs afl-fuzz for SECONDS from
# the committed seed corpus (tests/IpcBroker.Fuzzing/corpus/TARGET), and prints executions, crashes and hangs.
# Exit status: 0 nothing found, 1 crashes found, 3 hangs only, 2 bad usage or setup failure.
# Work files (published harness, findings) go to tests/IpcBroker.Fuzzing/obj/fuzz/TARGET/, which git ignores.
# A crash's input is in .../findings/default/crashes/; replay it without AFL with
#   dotnet tests/IpcBroker.Fuzzing/obj/fuzz/TARGET/bin/IpcBroker.Fuzzing.dll replay TARGET FILE
set -euo pipefail

usage() { echo "usage: $0 frame|bundle|handshake SECONDS" >&2; exit 2; }
[ $# -eq 2 ] || usage
target=$1
seconds=$2
case "$target" in
  # The assemblies whose branches guide the fuzzer for each target: ours, plus the library that parses the bytes.
  frame) instrument="IpcBroker.dll StreamJsonRpc.dll MessagePack.dll" ;;
  bundle) instrument="IpcBroker.dll MessagePack.dll" ;;
  handshake) instrument="IpcBroker.dll" ;;
  *) usage ;;
esac
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || usage

repo=$(cd "$(dirname "$0")/.." && pwd)
project="$repo/tests/IpcBroker.Fuzzing"
work="$project/obj/fuzz/$target"
tools="$repo/tests/IpcBroker.Fuzzing/obj/fuzz/tools"
sharpfuzz_version=2.3.0

if ! command -v afl-fuzz >/dev/null; then
  echo "afl-fuzz not found: installing Debian's afl++ package (apt-get update && apt-get install -y afl++)."
  if [ "$(id -u)" -ne 0 ]; then echo "Not root: install afl++ yourself (sudo apt-get install afl++)." >&2; exit 2; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi

if [ ! -x "$tools/sharpfuzz" ]; then
  echo "Installing the dotnet tool SharpFuzz.CommandLine $sharpfuzz_version into $tools."
  dotnet tool install SharpFuzz.CommandLine --version "$sharpfuzz_version" --tool-path "$tools" >/dev/null
fi

# A fresh publish every run: sharpfuzz instruments in place and refuses an assembly it has instrumented already.
rm -rf "$work"
mkdir -p "$work/in"
echo "Publishing the harness to $work/bin."
dotnet publish "$project" -c Release -o "$work/bin" -v q -nologo >/dev/null
for dll in $instrument; do
  "$tools/sharpfuzz" "$work/bin/$dll" >/dev/null
  echo "Instrumented $dll."
done

# The seeds without the regressions/ folder (crash reproducers, replayed by FuzzCorpusTests) and without empty files,
# which afl-fuzz refuses as seeds.
find "$project/corpus/$target" -maxdepth 1 -type f -size +0 -exec cp {} "$work/in/" \;

# AFL_SKIP_BIN_CHECK: the target binary is the dotnet host, which carries no AFL instrumentation itself (SharpFuzz does
# the fork server and the coverage map in managed code). AFL_SKIP_CPUFREQ, AFL_NO_AFFINITY: a shared machine whose
# governor and cores are not ours. AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: core dumps may go to a helper we cannot
# reconfigure in a container; crashes are still recorded. -m none: the .NET runtime reserves far more address space than
# afl-fuzz's default memory limit. nice: the machine is shared.
echo "Fuzzing '$target' for $seconds s (afl-fuzz -t 5000 -m none)."
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
set +e
nice -n 10 afl-fuzz -i "$work/in" -o "$work/findings" -t 5000 -m none -V "$seconds" -- \
  "$(command -v dotnet)" "$work/bin/IpcBroker.Fuzzing.dll" "$target" >"$work/afl.log" 2>&1
afl_status=$?
set -e

stats="$work/findings/default/fuzzer_stats"
if [ ! -f "$stats" ]; then
  echo "afl-fuzz did not start (status $afl_status); the end of $work/afl.log:" >&2
  tail -n 30 "$work/afl.log" >&2
  exit 2
fi

stat() { awk -F' *: *' -v key="$1" '$1 == key { print $2 }' "$stats"; }
crashes=$(stat saved_crashes); crashes=${crashes:-$(stat unique_crashes)}
hangs=$(stat saved_hangs); hangs=${hangs:-$(stat unique_hangs)}
echo "target:      $target"
echo "run time:    $(stat run_time) s"
echo "executions:  $(stat execs_done) ($(stat execs_per_sec)/s)"
echo "corpus:      $(stat corpus_count) inputs, coverage $(stat bitmap_cvg)"
echo "crashes:     ${crashes:-0}"
echo "hangs:       ${hangs:-0}"
echo "findings:    $work/findings/default"

if [ "${crashes:-0}" -gt 0 ]; then
  echo "Crashing inputs (replay: dotnet $work/bin/IpcBroker.Fuzzing.dll replay $target FILE):"
  find "$work/findings/default/crashes" -type f ! -name README.txt
  exit 1
fi
if [ "${hangs:-0}" -gt 0 ]; then
  echo "Inputs that ran past 5 s:"
  find "$work/findings/default/hangs" -type f
  exit 3
fi
