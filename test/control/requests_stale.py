"""Python requests' HTTPDigestAuth in one Session, as a long-running script: a status call, then (when
the test says so on stdin, after moving the clock) another, reusing the nonce. Prints one JSON line per
call: the status, the body, and the 401s requests answered on the way (its response history)."""
import json
import sys

import requests
from requests.auth import HTTPDigestAuth

base, org, public_key, private_key = sys.argv[1:5]
session = requests.Session()
session.auth = HTTPDigestAuth(public_key, private_key)
url = f"{base}/api/public/v1.0/orgs/{org}/liveExport/migrationLink/status"


def report(response):
    history = [{"status": r.status_code, "challenge": r.headers.get("WWW-Authenticate")} for r in response.history]
    print(json.dumps({"status": response.status_code, "body": response.text, "history": history}), flush=True)


report(session.get(url))
sys.stdin.readline()
report(session.get(url))
