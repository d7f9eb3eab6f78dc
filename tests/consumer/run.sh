#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A real consumer of libhvo: install the build to a staging directory, then
# build tests/consumer/consumer.c outside the project with nothing but
# `pkg-config libhvo`, once against libhvo.so and once statically against
# libhvo.a, and run both. Then, against the same install:
#
# - the installed libhvo.so and libhvo.a must export exactly the functions
#   the installed headers declare (tests/abi/check-abi.py);
# - consumer.c (`consumer sweep`), consumer.cpp and sweep.py, a C, a C++
#   and a Python program, each run the consumers' sweep (consumer.c says
#   what it is) against the installed library and Python package, and
#   their outputs must be equal byte for byte.
#
# usage: run.sh BUILD_DIR SOURCE_DIR
#
# Registered in tests/meson.build as the test "consumer-pkg-config" (suite
# "consumer", not parallel: it runs the build and the install itself).

set -eu

me=consumer-pkg-config

die()
{
	printf '%s: FAIL: %s\n' "$me" "$*" >&2
	exit 1
}

note()
{
	printf '%s: %s\n' "$me" "$*"
}

# Run a command with its output in a log; show the log if it fails.
logged()
{
	_log=$1
	shift
	if ! "$@" >"$_log" 2>&1; then
		cat "$_log" >&2
		return 1
	fi
}

[ $# -eq 2 ] || die "usage: $0 BUILD_DIR SOURCE_DIR"
build=$(cd "$1" && pwd) || die "no build directory '$1'"
src=$(cd "$2" && pwd) || die "no source directory '$2'"
consumer_c=$src/tests/consumer/consumer.c
[ -f "$build/meson-info/meson-info.json" ] ||
	die "'$build' is not a configured meson build directory"
[ -f "$consumer_c" ] || die "no $consumer_c"
for tool in meson python3 pkg-config; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not in PATH"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hvo-consumer.XXXXXX") ||
	die "mktemp -d failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
stage=$tmp/stage

# --- Build and install ---------------------------------------------------
# `meson test` builds only what the tests themselves need; the install
# needs every installable target. It has finished its own build by the
# time tests run, and this test is not parallel, so nothing races it.
logged "$tmp/compile.log" meson compile -C "$build" ||
	die "meson compile -C $build failed"
logged "$tmp/install.log" meson install -C "$build" --no-rebuild \
	--destdir "$stage" ||
	die "meson install -C $build --destdir $stage failed"

# --- Find what was installed --------------------------------------------
pc=$(find "$stage" -path '*/pkgconfig/libhvo.pc')
[ -n "$pc" ] || die "the install has no pkgconfig/libhvo.pc"
[ "$(printf '%s\n' "$pc" | wc -l)" -eq 1 ] ||
	die "the install has more than one libhvo.pc: $pc"
prefix=$(sed -n 's/^prefix=//p' "$pc")
[ -n "$prefix" ] || die "$pc sets no prefix"
staged_prefix=$stage$prefix
case $pc in
"$staged_prefix"/*) ;;
*) die "$pc is not under its own prefix $prefix" ;;
esac

# Point pkg-config at the staged prefix. Not with --define-prefix: pkgconf
# takes PREFIX to be two directories above the .pc, which is wrong for a
# multiarch libdir (PREFIX/lib/x86_64-linux-gnu/pkgconfig gives PREFIX/lib),
# and --define-variable=prefix= or PKG_CONFIG_SYSROOT_DIR would move any
# other package's paths too. So relocate only libhvo: a copy of its .pc
# with the prefix of the stage.
mkdir "$tmp/pkgconfig"
sed "s|^prefix=.*|prefix=$staged_prefix|" "$pc" >"$tmp/pkgconfig/libhvo.pc"
PKG_CONFIG_PATH=$tmp/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
unset PKG_CONFIG_SYSROOT_DIR

pkg-config --exists libhvo ||
	die "pkg-config cannot resolve libhvo: $(pkg-config --print-errors \
		--exists libhvo 2>&1)"
libdir=$(pkg-config --variable=libdir libhvo)
includedir=$(pkg-config --variable=includedir libhvo)
case $libdir in
"$staged_prefix"/*) ;;
*) die "pkg-config's libdir '$libdir' is not in the stage" ;;
esac
[ -f "$includedir/hvo/hvo.h" ] || die "no hvo/hvo.h in $includedir"
cmp -s "$includedir/hvo/hvo.h" "$src/include/hvo/hvo.h" ||
	die "the installed hvo/hvo.h differs from include/hvo/hvo.h"
for f in libhvo.so libhvo.a; do
	[ -e "$libdir/$f" ] || die "no $f in $libdir"
done
note "installed libhvo $(pkg-config --modversion libhvo) to $staged_prefix"

# --- The compiler and the sanitizers of the build -------------------------
# An ASan-instrumented libhvo (-Db_sanitize=...) only loads into a program
# that has the sanitizer runtimes too, so build the consumer alike, with
# the compiler the build used.
meson introspect --buildoptions "$build" >"$tmp/options.json" ||
	die "meson introspect --buildoptions $build failed"
meson introspect --targets "$build" >"$tmp/targets.json" ||
	die "meson introspect --targets $build failed"
sanitize=$(python3 - "$tmp/options.json" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    opts = {o["name"]: o["value"] for o in json.load(f)}
v = opts.get("b_sanitize", "none")
if isinstance(v, list):
    v = ",".join(v) or "none"
print(v)
EOF
) || die "cannot read b_sanitize of $build"
# The compiler the build used for LANGUAGE ("c", "cpp"), or nothing.
compiler_of()
{
	python3 - "$tmp/targets.json" "$1" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    for t in json.load(f):
        for s in t.get("target_sources", []):
            if s.get("language") == sys.argv[2] and s.get("compiler"):
                print(" ".join(s["compiler"]))
                sys.exit(0)
EOF
}
cc=$(compiler_of c) || die "cannot read the C compiler of $build"
cc=${cc:-${CC:-cc}}

san_flags=
case $sanitize in
none | '') ;;
*)
	san_flags=-fsanitize=$sanitize
	case ,$sanitize, in
	*,undefined,*)
		# As the top-level meson.build: a UBSan report is fatal.
		san_flags="$san_flags -fno-sanitize-recover=undefined"
		;;
	esac
	;;
esac
note "compiler: $cc; b_sanitize=$sanitize${san_flags:+ ($san_flags)}"

# --- Against the shared library -----------------------------------------
cflags=$(pkg-config --cflags libhvo)
libs=$(pkg-config --libs libhvo)
case " $cflags " in
*" -I$includedir "*) ;;
*) die "pkg-config --cflags libhvo ('$cflags') lacks -I$includedir" ;;
esac
note "cflags: $cflags"
note "libs: $libs"
# shellcheck disable=SC2086 # the flags are word lists
logged "$tmp/cc-shared.log" $cc -std=c11 -Wall -Wextra -Werror $san_flags \
	$cflags "$consumer_c" -o "$tmp/consumer-shared" $libs ||
	die "building consumer.c against libhvo.so failed"
# It must load the staged library, not one installed on the system.
loaded=$(LD_LIBRARY_PATH=$libdir ldd "$tmp/consumer-shared" |
	sed -n 's/^[[:space:]]*libhvo\.so[^ ]* => \([^ ]*\).*/\1/p')
[ -n "$loaded" ] || die "consumer-shared does not link libhvo.so"
case $loaded in
"$libdir"/*) ;;
*) die "consumer-shared loads $loaded, not the staged $libdir" ;;
esac
out=$(LD_LIBRARY_PATH=$libdir "$tmp/consumer-shared") ||
	die "consumer (libhvo.so) failed: ${out:-no output}"
note "shared: $out"

# --- Against the static library -----------------------------------------
slibs=$(pkg-config --static --libs libhvo)
note "static libs: $slibs"
# -lhvo would pick libhvo.so, which sits next to the archive: name the
# archive instead.
static_libs=
set -f
for w in $slibs; do
	[ "$w" = -lhvo ] && w=$libdir/libhvo.a
	static_libs="$static_libs $w"
done
set +f
# shellcheck disable=SC2086
logged "$tmp/cc-static.log" $cc -std=c11 -Wall -Wextra -Werror $san_flags \
	$cflags "$consumer_c" -o "$tmp/consumer-static" $static_libs ||
	die "building consumer.c against libhvo.a failed"
if ldd "$tmp/consumer-static" | grep -q 'libhvo\.so'; then
	die "consumer-static still needs libhvo.so"
fi
out=$(unset LD_LIBRARY_PATH; "$tmp/consumer-static") ||
	die "consumer (libhvo.a) failed: ${out:-no output}"
note "static: $out"

# A program may use the kernel's names the library uses inside: with a
# clean archive they do not clash in a static link.
cat >"$tmp/clash.c" <<'EOF2'
#include <hvo/hvo.h>
#include <stdio.h>
int free_pages(void);
int parse_size(void);
int alloc_pages(void);
int compound_head(void);
int free_pages(void) { return 1; }
int parse_size(void) { return 2; }
int alloc_pages(void) { return 3; }
int compound_head(void) { return 4; }
int main(void)
{
	struct hvo_machine *m = NULL;
	int ret = hvo_machine_new_from_spec("x86_64:mem=256M", &m, NULL, 0);

	hvo_machine_free(m);
	printf("%d\n", ret + free_pages() + parse_size() + alloc_pages() +
	       compound_head());
	return ret;
}
EOF2
# shellcheck disable=SC2086
logged "$tmp/cc-clash.log" $cc -std=c11 -Wall -Wextra -Werror $san_flags \
	$cflags "$tmp/clash.c" -o "$tmp/clash" $static_libs ||
	die "a program with its own free_pages() does not link against libhvo.a"
out=$("$tmp/clash") || die "the program with its own free_pages() failed"
[ "$out" = 10 ] || die "the program's own free_pages() was not called: $out"
note "static: a program's own free_pages(), parse_size(), ... link and run"

# --- The installed ABI ------------------------------------------------------
logged "$tmp/abi.log" python3 "$src/tests/abi/check-abi.py" exports \
	"$includedir/hvo" "$src/lib/libhvo.sym" "$libdir/libhvo.so" \
	"$libdir/libhvo.a" || die "the installed libraries export more or less than the API"
note "$(cat "$tmp/abi.log")"

# --- man hvo-sim ----------------------------------------------------------
# The pages must be installed where man looks for them under the prefix,
# and man must find and render each one from there.
mandir=$(dirname "$(find "$staged_prefix" -path '*/man1/hvo-sim.1' | head -n 1)")
[ -n "$mandir" ] && [ "$mandir" != . ] || die "the install has no man1/hvo-sim.1"
command -v man >/dev/null 2>&1 || die "'man' is not in PATH (Debian: man-db)"
for page in hvo-sim hvo-sim-run hvo-sim-show hvo-sim-quiz; do
	found=$(MANPATH=$(dirname "$mandir") man -w "$page" 2>/dev/null) ||
		die "man -w $page finds no page under $(dirname "$mandir")"
	[ "$found" = "$mandir/$page.1" ] ||
		die "man -w $page found $found, not the installed $mandir/$page.1"
	MANPATH=$(dirname "$mandir") MANWIDTH=80 man "$page" 2>/dev/null |
		grep -q "$page" || die "man $page renders no page naming $page"
done
note "man: hvo-sim and its three subcommand pages, from $mandir"

# --- One sweep, three languages ---------------------------------------------
# C: consumer.c, already built against libhvo.so.
LD_LIBRARY_PATH=$libdir "$tmp/consumer-shared" sweep >"$tmp/sweep-c.txt" ||
	die "consumer (C) sweep failed"
[ -s "$tmp/sweep-c.txt" ] || die "the C sweep printed nothing"

# C++: the build's C++ compiler, if it has one, else c++.
cxx=$(compiler_of cpp) || die "cannot read the C++ compiler of $build"
cxx=${cxx:-${CXX:-c++}}
# shellcheck disable=SC2086
logged "$tmp/cxx.log" $cxx -std=c++11 -Wall -Wextra -Werror $san_flags \
	$cflags "$src/tests/consumer/consumer.cpp" -o "$tmp/consumer-cxx" \
	$libs || die "building consumer.cpp against libhvo.so failed"
LD_LIBRARY_PATH=$libdir "$tmp/consumer-cxx" >"$tmp/sweep-cxx.txt" ||
	die "consumer (C++) sweep failed"

# Python: the installed package, found under the stage, loading the
# installed library through LD_LIBRARY_PATH (never HVO_LIBRARY).
init=$(find "$staged_prefix" -path '*/hvo/__init__.py')
[ -n "$init" ] || die "the install has no Python package hvo"
[ "$(printf '%s\n' "$init" | wc -l)" -eq 1 ] ||
	die "the install has more than one hvo package: $init"
pydir=$(dirname "$(dirname "$init")")
py_preload=
case ,$sanitize, in
*,address,*)
	# An ASan libhvo loads into python only after the ASan runtime.
	case $($cc --version | head -n 1) in
	*clang*) rt=libclang_rt.asan-$(uname -m).so ;;
	*) rt=libasan.so ;;
	esac
	py_preload=$($cc -print-file-name=$rt)
	;;
esac
run_py()
{
	env -u HVO_LIBRARY PYTHONPATH="$pydir" LD_LIBRARY_PATH="$libdir" \
		PYTHONDONTWRITEBYTECODE=1 ${py_preload:+LD_PRELOAD=$py_preload} \
		ASAN_OPTIONS=detect_leaks=0 python3 "$@"
}
loaded=$(run_py -c 'import hvo
print([l.split()[-1] for l in open("/proc/self/maps") if "libhvo" in l][0])') ||
	die "python3 cannot import the installed hvo package"
case $loaded in
"$libdir"/*) ;;
*) die "the Python package loads $loaded, not the staged $libdir" ;;
esac
run_py "$src/tests/consumer/sweep.py" >"$tmp/sweep-py.txt" ||
	die "consumer (Python) sweep failed"

for lang in cxx py; do
	if ! cmp -s "$tmp/sweep-c.txt" "$tmp/sweep-$lang.txt"; then
		diff -u "$tmp/sweep-c.txt" "$tmp/sweep-$lang.txt" >&2 || true
		die "the $lang sweep differs from the C sweep"
	fi
done
note "sweep: C, C++ and Python agree on $(wc -l <"$tmp/sweep-c.txt") lines" \
	"($(grep -c ' pool ' "$tmp/sweep-c.txt") machines)"
note "ok"
