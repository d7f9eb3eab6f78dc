#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Run the libFuzzer targets of tests/fuzz for a bounded time each.
#
#   tests/fuzz/run.sh [-t SECONDS] [-j JOBS] [-b BUILDDIR] [TARGET...]
#
# TARGET is spec, scenario or ops (default: all three, one after the
# other). Each runs for SECONDS (default 60) with JOBS processes (default
# 1), from its seed corpus tests/fuzz/corpus/TARGET and a working corpus
# BUILDDIR/fuzz-corpus/TARGET that is kept between runs (the seed corpus
# in the tree is never written). A crash stops the run of that target,
# keeps the input as BUILDDIR/fuzz-artifacts/TARGET-crash-*, and makes the
# script exit 1 once every target has run. BUILDDIR (default build-fuzz)
# is set up with clang and -Dfuzz=enabled if it does not exist.
#
# If clang cannot link -fsanitize=fuzzer (libclang-rt-dev missing), the
# script says so and exits 0: the seed corpora still run in `meson test`.
set -euo pipefail

cd "$(dirname "$0")/../.."

seconds=60
jobs=1
builddir=build-fuzz
while getopts t:j:b:h opt; do
	case $opt in
	t) seconds=$OPTARG ;;
	j) jobs=$OPTARG ;;
	b) builddir=$OPTARG ;;
	*) sed -n '4,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
# Absolute or relative to the top of the tree, as every path below.
[[ $builddir = /* ]] || builddir=$(pwd)/$builddir
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(spec scenario ops)

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
cat >"$probe/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
EOF
if ! clang -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" 2>"$probe/err"; then
	echo "tests/fuzz/run.sh: clang cannot build a libFuzzer target; skipped:"
	sed 's/^/  /' "$probe/err" | head -5
	exit 0
fi

if [ ! -f "$builddir/build.ninja" ]; then
	CC=clang meson setup "$builddir" -Dfuzz=enabled -Dbench=false \
		-Dexamples=false >/dev/null
fi
for t in "${targets[@]}"; do
	grep -q "^build tests/fuzz/fuzz-$t:" "$builddir/build.ninja" || {
		echo "tests/fuzz/run.sh: $builddir has no target fuzz-$t: set it up with CC=clang and -Dfuzz=enabled" >&2
		exit 1
	}
done
ninja -C "$builddir" $(printf 'tests/fuzz/fuzz-%s ' "${targets[@]}") >/dev/null

# Inputs past these sizes only slow a run down: a spec is at most 511
# bytes, a scenario a few lines, an operation sequence 512 operations.
declare -A max_len=([spec]=600 [scenario]=4096 [ops]=2048)
# A machine, a scenario or a sequence that takes this long is a bug.
timeout=60

root=$(pwd)
failed=()
for t in "${targets[@]}"; do
	exe=$builddir/tests/fuzz/fuzz-$t
	work=$builddir/fuzz-corpus/$t
	artifacts=$builddir/fuzz-artifacts
	log=$builddir/fuzz-$t.log
	args=(-max_total_time="$seconds" -rss_limit_mb=4096
	      -timeout="$timeout" -max_len="${max_len[$t]:-4096}"
	      -artifact_prefix="$artifacts/$t-" -print_final_stats=1)
	[ -f "tests/fuzz/$t.dict" ] && args+=(-dict="$root/tests/fuzz/$t.dict")
	# More than one job: libFuzzer writes each one's output to
	# fuzz-N.log in the current directory, gathered below.
	[ "$jobs" -gt 1 ] && args+=(-jobs="$jobs" -workers="$jobs")
	mkdir -p "$work" "$artifacts"
	rm -f "$builddir"/fuzz-[0-9]*.log
	touch "$probe/start"
	echo "==> fuzz-$t: $seconds s, $jobs job(s), log in $builddir/fuzz-$t.log"
	if ! (cd "$builddir" &&
	      "$exe" "${args[@]}" "$work" "$root/tests/fuzz/corpus/$t") \
		>"$log" 2>&1; then
		failed+=("$t")
	fi
	if [ "$jobs" -gt 1 ]; then
		cat "$builddir"/fuzz-[0-9]*.log >>"$log" 2>/dev/null || true
		rm -f "$builddir"/fuzz-[0-9]*.log
	fi
	# What a run reached: libFuzzer's final statistics, and the ops
	# fuzzer's count of operations.
	grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|fuzz-ops:)' "$log" |
		awk '!seen[$0]++' | sed 's/^/  /' || true
	grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: |.*runtime error)' "$log" |
		head -5 | sed 's/^/  /' || true
	# The inputs this run kept (crashes, leaks, slow units).
	find "$artifacts" -name "$t-*" -newer "$probe/start" |
		sed 's/^/  kept: /'
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "tests/fuzz/run.sh: found a crash in: ${failed[*]}" >&2
	exit 1
fi
echo "tests/fuzz/run.sh: no crash in ${targets[*]}"
