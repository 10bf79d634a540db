"""Schemathesis hooks for livelink: every generated request authenticates as the pass's operations require.

- The Ops Manager and Atlas Public APIs: HTTP Digest (username = public key, password = private key), from
  LIVELINK_FUZZ_PUBLIC_KEY / LIVELINK_FUZZ_PRIVATE_KEY. Schemathesis 4 has no digest option on its command
  line; its auth API takes a `requests` auth object.
- The rehearsal control API: its admin token as `Authorization: Bearer`, from LIVELINK_FUZZ_CONTROL_TOKEN
  (set only for the control pass). Given here rather than with `--header`, so the token stays out of the
  command line that the report records.

Loaded through SCHEMATHESIS_HOOKS.
"""
import os

import schemathesis
from requests.auth import AuthBase, HTTPDigestAuth


class BearerToken(AuthBase):
    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


control_token = os.environ.get("LIVELINK_FUZZ_CONTROL_TOKEN")
if control_token:
    schemathesis.auth.set_from_requests(BearerToken(control_token))
else:
    schemathesis.auth.set_from_requests(
        HTTPDigestAuth(os.environ["LIVELINK_FUZZ_PUBLIC_KEY"], os.environ["LIVELINK_FUZZ_PRIVATE_KEY"])
    )
