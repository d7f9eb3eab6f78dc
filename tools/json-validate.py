#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Validate JSON read from standard input against a JSON Schema (draft-07).

usage: json-validate.py SCHEMA [--lines]

With --lines the input is JSON Lines: every line is one document. Exits 0
if every document is valid, 1 if one is not (saying where and why), and 77,
which meson counts as a skipped test, if python3-jsonschema is not
installed.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed "
          "(apt-get install python3-jsonschema)", file=sys.stderr)
    sys.exit(77)


def main():
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and
                                        sys.argv[2] != "--lines"):
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    text = sys.stdin.read()
    if len(sys.argv) == 3:
        docs = [line for line in text.splitlines() if line.strip()]
    else:
        docs = [text]
    if not docs:
        print("no JSON document on standard input", file=sys.stderr)
        return 1
    bad = 0
    for n, d in enumerate(docs, 1):
        try:
            doc = json.loads(d)
        except ValueError as e:
            print("document %d: not JSON: %s" % (n, e), file=sys.stderr)
            bad += 1
            continue
        for err in validator.iter_errors(doc):
            where = "/".join(str(p) for p in err.absolute_path) or "(top)"
            print("document %d: %s: %s" % (n, where, err.message),
                  file=sys.stderr)
            bad += 1
    print("%d document%s checked against %s: %s" %
          (len(docs), "" if len(docs) == 1 else "s", sys.argv[1],
           "valid" if not bad else "%d errors" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
