#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Build tests/threads/test-threads.c and every source of lib/ again with
# -fsanitize=thread, with the compiler of the build, and run it: any data
# race between machines on different threads fails the test. It builds
# itself because ThreadSanitizer cannot share a build with the address
# sanitizer the test build uses. Exits 77 (skipped) if the compiler cannot
# link -fsanitize=thread.
#
# usage: run-tsan.sh CC SOURCE_DIR LIB_SOURCE...
set -eu

[ $# -ge 3 ] || { echo "usage: $0 CC SOURCE_DIR LIB_SOURCE..." >&2; exit 2; }
cc=$1
src=$2
shift 2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hvo-tsan.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

printf 'int main(void) { return 0; }\n' >"$tmp/probe.c"
if ! $cc -fsanitize=thread "$tmp/probe.c" -o "$tmp/probe" 2>/dev/null; then
	echo "run-tsan.sh: $cc cannot link -fsanitize=thread: skipped"
	exit 77
fi

# -O1 keeps it quick to build and run; the library's sources need the
# same feature macro as the meson build (meson.build).
# shellcheck disable=SC2086 # $cc may carry words
$cc -std=c11 -O1 -g -fsanitize=thread -D_DEFAULT_SOURCE -pthread \
	-I"$src/include" -I"$src/lib" \
	"$src/tests/threads/test-threads.c" "$@" -o "$tmp/test-threads-tsan"

# halt_on_error: the first race is the failure, with its report.
TSAN_OPTIONS="halt_on_error=1 exitcode=66${TSAN_OPTIONS:+ $TSAN_OPTIONS}"
export TSAN_OPTIONS
rc=0
"$tmp/test-threads-tsan" 2 >"$tmp/out" 2>&1 || rc=$?
# Older ThreadSanitizer runtimes cannot map their shadow memory under the
# high ASLR entropy of newer kernels ("unexpected memory mapping"): run
# it again with ASLR off for this process.
if [ $rc -ne 0 ] && grep -q 'unexpected memory mapping' "$tmp/out" &&
	command -v setarch >/dev/null 2>&1; then
	echo "run-tsan.sh: ThreadSanitizer cannot map its shadow memory; again without ASLR"
	rc=0
	setarch "$(uname -m)" -R "$tmp/test-threads-tsan" 2 >"$tmp/out" 2>&1 ||
		rc=$?
fi
cat "$tmp/out"
exit $rc
