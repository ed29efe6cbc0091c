#!/usr/bin/env python3
"""Validates a SARIF log against the official SARIF 2.1.0 schema.

usage: validate_sarif.py FILE
Prints every schema violation and exits 1 if there is any.
"""
import json
import pathlib
import sys

from jsonschema import Draft7Validator

SCHEMA = (
    pathlib.Path(__file__).resolve().parent.parent.parent
    / "report" / "testdata" / "schemas" / "sarif-schema-2.1.0.json"
)


def main():
    schema = json.loads(SCHEMA.read_text())
    doc = json.loads(pathlib.Path(sys.argv[1]).read_text())
    validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors[:20]:
        print(f"{'/'.join(map(str, e.path))}: {e.message}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
