#!/usr/bin/python3
"""schema-check.py SCHEMA [FILE]: checks one JSON document (FILE, or stdin)
against a JSON Schema (draft 2020-12) with Debian's python3-jsonschema.
Prints "valid", or each violation with its path, and exits 1."""
import json
import sys

import jsonschema


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    with open(sys.argv[1]) as handle:
        schema = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(schema)
    source = open(sys.argv[2]) if len(sys.argv) == 3 else sys.stdin
    document = json.load(source)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.path))
    for error in errors:
        print("invalid at /%s: %s" % ("/".join(str(part) for part in error.path), error.message))
    if errors:
        sys.exit(1)
    print("valid")


if __name__ == "__main__":
    main()
