#!/usr/bin/env python3
"""Validates an SBOM against the official JSON schema in testdata/schemas.

usage: validate.py cyclonedx|spdx FILE
Prints every schema violation and exits 1 if there is any.
"""
import json
import pathlib
import sys

from jsonschema import Draft7Validator
from referencing import Registry, Resource

SCHEMAS = pathlib.Path(__file__).resolve().parent.parent / "testdata" / "schemas"


def load(name):
    return json.loads((SCHEMAS / name).read_text())


def main():
    kind, path = sys.argv[1], sys.argv[2]
    doc = json.loads(pathlib.Path(path).read_text())
    if kind == "cyclonedx":
        schema = load("bom-1.6.SNAPSHOT.schema.json")
        # The schema's $refs name sibling files; serve them from disk.
        registry = Registry().with_resources(
            (name, Resource.from_contents(load(name)))
            for name in ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json")
        )
    else:
        schema = load("spdx-2.3.schema.json")
        registry = Registry()
    validator = Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors[:20]:
        print(f"{'/'.join(map(str, e.path))}: {e.message}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
