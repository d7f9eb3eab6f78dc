#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The ABI of libhvo, checked against its one definition: the functions
declared in include/hvo/*.h.

  check-abi.py sym INCLUDE_DIR SYM
      lib/libhvo.sym lists exactly the declared functions, each once, in
      nodes named LIBHVO_MAJOR.MINOR.MICRO, each node after the first
      inheriting the one before it.
  check-abi.py exports INCLUDE_DIR SYM LIBHVO.SO LIBHVO.A
      the shared library exports exactly the declared functions (with
      the version node of lib/libhvo.sym), the archive defines exactly
      them as global symbols, and no object of the archive keeps mutable
      state of its own (a .data or .bss symbol): machines share nothing
      (doc/ABI.md, "Threads").

Exits 0 when all holds, 1 with every difference on stderr.
"""
import glob
import os
import re
import subprocess
import sys

# Symbols a compiler's instrumentation adds (sanitizers, gcov): not ours.
TOOL_PREFIXES = ("__asan", "__odr_asan", "__ubsan", "__gcov", "__tsan",
                 "__sancov", "__llvm", ".L", "___asan")

errors = []


def fail(msg):
    errors.append(msg)


def declared(include_dir):
    """Function names declared in the public headers: in libhvo's style
    the name starts its line, after the return type's line."""
    names = set()
    headers = sorted(glob.glob(os.path.join(include_dir, "*.h")))
    if not headers:
        sys.exit(f"check-abi.py: no header in {include_dir}")
    for h in headers:
        with open(h) as f:
            for line in f:
                m = re.match(r"(hvo_\w+)\s*\(", line)
                if m:
                    names.add(m.group(1))
    if not names:
        sys.exit(f"check-abi.py: no function declared in {include_dir}")
    return names


def version_nodes(sym_path):
    """[(node, parent or None, [names])] of a version script."""
    with open(sym_path) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    nodes = []
    for m in re.finditer(r"([A-Za-z_][\w.]*)\s*\{(.*?)\}\s*([\w.]*)\s*;",
                         text, re.S):
        name, body, parent = m.group(1), m.group(2), m.group(3) or None
        g = re.search(r"global:(.*?)(?:local:|$)", body, re.S)
        funcs = re.findall(r"([\w*?\[\]]+)\s*;", g.group(1)) if g else []
        nodes.append((name, parent, funcs))
    if not nodes:
        sys.exit(f"check-abi.py: no version node in {sym_path}")
    return nodes


def check_sym(include_dir, sym_path):
    decl = declared(include_dir)
    nodes = version_nodes(sym_path)
    listed = {}
    prev = None
    for name, parent, funcs in nodes:
        if not re.fullmatch(r"LIBHVO_\d+\.\d+\.\d+", name):
            fail(f"{sym_path}: node {name} is not named LIBHVO_X.Y.Z")
        if parent != prev:
            fail(f"{sym_path}: node {name} inherits {parent}, "
                 f"not the node before it ({prev})")
        prev = name
        for fn in funcs:
            if not re.fullmatch(r"hvo_\w+", fn):
                fail(f"{sym_path}: {name} lists '{fn}': only whole "
                     f"function names, no pattern")
            elif fn in listed:
                fail(f"{sym_path}: {fn} is in {listed[fn]} and in {name}")
            else:
                listed[fn] = name
    for fn in sorted(decl - set(listed)):
        fail(f"{fn} is declared in {include_dir} but not exported by "
             f"{sym_path}: add it to the newest node")
    for fn in sorted(set(listed) - decl):
        fail(f"{sym_path} exports {fn}, which no header declares")
    return listed


def nm(args):
    res = subprocess.run(["nm"] + args, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"check-abi.py: nm {' '.join(args)}: {res.stderr.strip()}")
    return [line.split() for line in res.stdout.splitlines() if line.strip()]


def ours(name):
    return not name.startswith(TOOL_PREFIXES)


def check_exports(include_dir, sym_path, so, archive):
    decl = declared(include_dir)
    listed = check_sym(include_dir, sym_path)

    # The shared library: "ADDR T name@@NODE"; the nodes themselves are
    # absolute symbols (type A).
    exported = {}
    for f in nm(["-D", "--defined-only", so]):
        if len(f) < 3 or f[1] == "A":
            continue
        name, _, node = f[2].partition("@")
        exported[name] = node.lstrip("@")
    for name in sorted(set(exported) - decl):
        fail(f"{so} exports {name}, which is not public API")
    for name in sorted(decl - set(exported)):
        fail(f"{so} does not export {name}, which the header declares")
    for name, node in sorted(exported.items()):
        if name in listed and node != listed[name]:
            fail(f"{so}: {name} has version {node}, lib/libhvo.sym puts "
                 f"it in {listed[name]}")

    # The archive: global definitions are what a static link sees.
    defined = set()
    for f in nm(["-g", "--defined-only", archive]):
        if len(f) == 3 and ours(f[2]):
            defined.add(f[2])
    for name in sorted(defined - decl):
        fail(f"{archive} exports {name}, which is not public API")
    for name in sorted(decl - defined):
        fail(f"{archive} does not define {name}, which the header declares")

    # Mutable state of the library's own: any object, local (a file's
    # static) or global, in a section the program writes (.data, .bss,
    # thread-local), as objdump -t names it; tables of constant pointers
    # live in .data.rel.ro, which is read-only once relocated.
    res = subprocess.run(["objdump", "-t", archive], capture_output=True,
                         text=True)
    if res.returncode != 0:
        sys.exit(f"check-abi.py: objdump -t {archive}: {res.stderr.strip()}")
    for line in res.stdout.splitlines():
        m = re.match(r"[0-9a-f]+\s.{7}\s+(\S+)\s+[0-9a-f]+\s+(\S+)$", line)
        if not m or "O" not in line[m.start(1) - 9:m.start(1)] or \
           not ours(m.group(2)):
            continue
        section = m.group(1)
        if re.match(r"\.(data|bss|tdata|tbss)(\.|$)", section) and \
           not section.startswith(".data.rel.ro"):
            fail(f"{archive} keeps mutable state: {m.group(2)} in "
                 f"{section}; every machine must own all it changes")


def main(argv):
    if len(argv) == 4 and argv[1] == "sym":
        listed = check_sym(argv[2], argv[3])
        ok = f"{len(listed)} functions, each declared and exported"
    elif len(argv) == 6 and argv[1] == "exports":
        check_exports(*argv[2:])
        ok = "libhvo.so and libhvo.a export exactly the public API"
    else:
        sys.exit(__doc__)
    for e in errors:
        print("check-abi.py: " + e, file=sys.stderr)
    if errors:
        return 1
    print("check-abi.py: " + ok)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
