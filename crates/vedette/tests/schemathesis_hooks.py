"""Schemathesis hooks for tests/schemathesis.rs: the console's error contract.

Loaded with SCHEMATHESIS_HOOKS=schemathesis_hooks (PYTHONPATH set to this
directory). Registers the check `problem_documents`: every 4xx and 5xx answer
is an RFC 9457 `application/problem+json` document whose `status` is the
response's status.
"""

import json

import schemathesis


@schemathesis.check
def problem_documents(ctx, response, case):
    """Every error answer is a problem document."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(
            f"{response.status_code} answered with content-type {content_type!r}, "
            f"not application/problem+json: {response.text[:200]!r}"
        )
    try:
        body = json.loads(response.text)
    except ValueError as e:
        raise AssertionError(f"problem document is not JSON ({e}): {response.text[:200]!r}")
    if not isinstance(body, dict) or body.get("status") != response.status_code:
        raise AssertionError(
            f"problem document status {body.get('status') if isinstance(body, dict) else body!r} "
            f"is not the response status {response.status_code}"
        )
    if not isinstance(body.get("title"), str):
        raise AssertionError("problem document has no title")
    return None
