#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Validate the JSON a command writes against libhvo's schemas.

Usage: check-json.py SCHEMA_DIR KINDS -- COMMAND [ARG...]

Runs COMMAND, reads its standard output as a sequence of JSON documents
(one pretty-printed report, JSON Lines, or both one after the other) and
validates each against SCHEMA_DIR/<kind>.schema.json. KINDS is a comma
separated list naming the documents in order; a kind ending in '+' takes
every document left (at least one). "report,kpageflags" is a report then
one kpageflags document; "run+" is one or more run records.

Every document must also carry format_version and libhvo_version (the keys
hvo_json_begin() writes), and the schema must be strict: the test renames
each key of the document and of the first object of every member (two
levels down) and fails if the schema still accepts the result, so a
schema that would let a misspelled or missing key through fails here.

COMMAND must exit with 0 or 1 (a runtime error its JSON reports).
Exit status: 0 if every document is valid, 1 if not, 77 (skipped, for
meson) without python3-jsonschema.
"""
import copy
import json
import os
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed: skipped")
    sys.exit(77)

MUTATION_DEPTH = 2


def documents(text):
    """Every JSON value in text, one after the other."""
    decoder = json.JSONDecoder()
    pos = 0
    docs = []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return docs
        doc, pos = decoder.raw_decode(text, pos)
        docs.append(doc)


def objects_to_mutate(doc, depth, path=()):
    """(path, object) of doc and of the first object in each member."""
    if not isinstance(doc, dict):
        return
    yield path, doc
    if depth == 0:
        return
    for key, value in doc.items():
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, dict)), None)
        if isinstance(value, dict):
            yield from objects_to_mutate(value, depth - 1, path + (key,))


def lookup(doc, path):
    for key in path:
        doc = doc[key]
        if isinstance(doc, list):
            doc = next(v for v in doc if isinstance(v, dict))
    return doc


def check_strict(validator, kind, doc):
    """Each key renamed must make the document invalid."""
    errors = 0
    for path, obj in list(objects_to_mutate(doc, MUTATION_DEPTH)):
        for key in list(obj):
            bad = copy.deepcopy(doc)
            target = lookup(bad, path)
            target[key + "_misspelled"] = target.pop(key)
            if validator.is_valid(bad):
                where = "/".join(path + (key,))
                print(f"{kind}: the schema accepts '{where}' misspelled")
                errors += 1
    return errors


def main(argv):
    if len(argv) < 5 or argv[3] != "--":
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    schema_dir, kinds, cmd = argv[1], argv[2].split(","), argv[4:]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, check=False)
    # 1 is a runtime error the output reports (a refused walk, a failed
    # scenario line): its JSON must be valid too.
    if proc.returncode not in (0, 1):
        print(f"{cmd}: exit status {proc.returncode}")
        return 1
    docs = documents(proc.stdout.decode("utf-8"))
    validators = {}
    errors = 0
    repeated = 0  # documents the current kind+ took
    for i, doc in enumerate(docs):
        if not kinds:
            print(f"document {i + 1}: more documents than {argv[2]}")
            return 1
        kind = kinds[0]
        if kind.endswith("+"):
            kind = kind[:-1]
            repeated += 1
        else:
            kinds.pop(0)
        if kind not in validators:
            path = os.path.join(schema_dir, kind + ".schema.json")
            with open(path, encoding="utf-8") as f:
                schema = json.load(f)
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validators[kind] = cls(schema)
        validator = validators[kind]
        for key in ("format_version", "libhvo_version"):
            if key not in doc:
                print(f"document {i + 1} ({kind}): no {key}")
                errors += 1
        for err in validator.iter_errors(doc):
            where = "/".join(str(p) for p in err.absolute_path)
            print(f"document {i + 1} ({kind}): /{where}: {err.message}")
            errors += 1
        errors += check_strict(validator, kind, doc)
    left = [k for k in kinds if not k.endswith("+") or not repeated]
    if left:
        print(f"missing documents: {','.join(left)}")
        return 1
    print(f"{len(docs)} document(s) valid")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
