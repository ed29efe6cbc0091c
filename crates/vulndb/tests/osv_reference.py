"""Reference verdicts from the `osv` Python library (PyPI package `osv`).

Reads one JSON document on stdin (both keys optional):
  {"items": [{"key", "ecosystem", "ranges": [{"type", "events"}],
              "versions": [...], "candidates": [...]}],
   "orderings": [{"ecosystem", "versions": [...]}]}
and writes {"results": [{"key", "status", "error", "affected"}]} on stdout,
where `affected` maps each candidate to true/false, or null when the
library cannot order it, and {"orderings": [{"sorted", "equal_next",
"invalid"}]} with each pool sorted by the ecosystem's `sort_key`.

Verdicts use the library's own pieces: the ecosystem's `sort_key`
(`osv.ecosystems.get`), `osv.impact.enumerate_versions` (which sorts a
range's events and pairs introduced/fixed/last_affected/limit) and
`Ecosystem._get_affected_versions`. The only substitution is the list of
known versions, which the library normally downloads from the registry:
here it is the candidate list, so no network is needed.
"""

import json
import sys

from osv import ecosystems, impact
from osv.ecosystems.helper_base import Ecosystem
from osv.ecosystems.semver_ecosystem_helper import SemverEcosystem


class KnownVersions(Ecosystem):
    """An ecosystem whose registry is the given candidate list."""

    def __init__(self, inner, versions):
        self.inner = inner
        self.versions = versions

    def sort_key(self, version):
        return self.inner.sort_key(version)

    def enumerate_versions(self, package, introduced, fixed=None,
                           last_affected=None, limits=None):
        return self._get_affected_versions(self.versions, introduced, fixed,
                                           last_affected, limits)


class Event:

    def __init__(self, event):
        self.introduced = event.get('introduced', '')
        self.fixed = event.get('fixed', '')
        self.last_affected = event.get('last_affected', '')
        self.limit = event.get('limit', '')


class Range:

    def __init__(self, events):
        self.events = [Event(e) for e in events]


def lookup(name):
    eco = ecosystems.get(name)
    if eco is None:
        # `Packagist:https://packages.drupal.org/8` → `Packagist`.
        eco = ecosystems.get(ecosystems.normalize(name))
    if eco is None or not eco.supports_ordering:
        return None
    return eco


def orderable(eco, version):
    try:
        eco.sort_key(version)
        return True
    except Exception:  # the library raises many kinds for bad versions
        return False


def evaluate(item):
    eco = lookup(item['ecosystem'])
    if eco is None:
        return {'status': 'unsupported'}
    affected = set()
    invalid = set()
    for rng in item['ranges']:
        range_eco = eco if rng['type'] == 'ECOSYSTEM' else SemverEcosystem()
        valid = []
        for c in item['candidates']:
            if orderable(range_eco, c):
                valid.append(c)
            else:
                invalid.add(c)
        valid.sort(key=range_eco.sort_key)
        known = KnownVersions(range_eco, valid)
        try:
            found = impact.enumerate_versions(item['key'], known,
                                              Range(rng['events']))
        except Exception as e:  # an event the library cannot order
            return {'status': 'error', 'error': f'{type(e).__name__}: {e}'}
        affected.update(found)
    listed = set(item['versions'])
    verdicts = {}
    for c in item['candidates']:
        if c in listed or c in affected:
            verdicts[c] = True
        elif c in invalid:
            verdicts[c] = None
        else:
            verdicts[c] = False
    return {'status': 'ok', 'affected': verdicts}


def order(pool):
    """Sorts a pool of versions with the ecosystem's sort key.

    Returns the sorted versions, whether each one equals the next, and the
    versions the library cannot order."""
    eco = lookup(pool['ecosystem'])
    if eco is None:
        return {'status': 'unsupported'}
    keyed, invalid = [], []
    for v in pool['versions']:
        try:
            keyed.append((eco.sort_key(v), v))
        except Exception:  # the library raises many kinds for bad versions
            invalid.append(v)
    keyed.sort(key=lambda kv: kv[0])
    equal_next = [
        keyed[i][0] == keyed[i + 1][0] for i in range(len(keyed) - 1)
    ]
    return {
        'status': 'ok',
        'sorted': [v for _, v in keyed],
        'equal_next': equal_next,
        'invalid': invalid,
    }


def main():
    request = json.load(sys.stdin)
    results = []
    for item in request.get('items', []):
        result = evaluate(item)
        result['key'] = item['key']
        results.append(result)
    orderings = [order(pool) for pool in request.get('orderings', [])]
    json.dump({'results': results, 'orderings': orderings}, sys.stdout)


if __name__ == '__main__':
    main()
