#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Build the installed libhvo.a from the objects of the library.

An archive of the library's objects as they are would export every
internal function (alloc_pages, free_pages, parse_size, json_*, ...):
-fvisibility=hidden only marks them hidden, which a static link ignores,
so a program that defines its own free_pages() would fail to link. So,
as the shared library does with its version script:

  1. link every object into one with a partial link (ld -r), so calls
     between the library's files are resolved inside it;
  2. make every defined symbol local but the functions lib/libhvo.sym
     exports (objcopy --keep-global-symbols);
  3. put that one object in the archive.

usage: make-static.py --ld LD --objcopy OBJCOPY --ar AR SYM IN.a OUT.a
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile


def exported(sym_path):
    """The function names lib/libhvo.sym lists in its global: parts."""
    names = []
    with open(sym_path) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    for node in re.finditer(r"global:(.*?)(?:local:|\})", text, re.S):
        names += re.findall(r"\b(hvo_\w+)\s*;", node.group(1))
    if not names:
        sys.exit(f"make-static.py: {sym_path} lists no function")
    return names


def run(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.stderr.write(res.stdout + res.stderr)
        sys.exit(f"make-static.py: {' '.join(cmd)} failed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ld", required=True)
    ap.add_argument("--objcopy", required=True)
    ap.add_argument("--ar", required=True)
    ap.add_argument("sym")
    ap.add_argument("archive")
    ap.add_argument("output")
    a = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        obj = os.path.join(tmp, "libhvo.o")
        keep = os.path.join(tmp, "keep")
        with open(keep, "w") as f:
            f.write("\n".join(exported(a.sym)) + "\n")
        run([a.ld, "-r", "-o", obj, "--whole-archive", a.archive,
             "--no-whole-archive"])
        run([a.objcopy, "--keep-global-symbols=" + keep, obj])
        if os.path.exists(a.output):
            os.unlink(a.output)
        run([a.ar, "rcsD", a.output, obj])


if __name__ == "__main__":
    main()
