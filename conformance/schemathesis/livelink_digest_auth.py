"""Schemathesis hooks for livelink: every generated request authenticates with HTTP Digest, as the
Ops Manager and Atlas Public APIs require (username = public key, password = private key).

Schemathesis 4 has no digest option on its command line; its auth API takes a `requests` auth object.
Loaded through SCHEMATHESIS_HOOKS; the key comes from LIVELINK_FUZZ_PUBLIC_KEY / LIVELINK_FUZZ_PRIVATE_KEY.
"""
import os

import schemathesis
from requests.auth import HTTPDigestAuth

schemathesis.auth.set_from_requests(
    HTTPDigestAuth(os.environ["LIVELINK_FUZZ_PUBLIC_KEY"], os.environ["LIVELINK_FUZZ_PRIVATE_KEY"])
)
