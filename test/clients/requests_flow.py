"""Drives the link flow with Python requests' HTTPDigestAuth in one Session (nonce reuse, nc counting),
as a script written for Ops Manager and Atlas would. Prints one JSON line per call: what it got."""
import json
import sys

import requests
from requests.auth import HTTPDigestAuth

base, source_org, source_pub, source_priv, target_org, target_pub, target_priv = sys.argv[1:8]
link = f"{base}/api/public/v1.0/orgs/{source_org}/liveExport/migrationLink"
tokens = f"{base}/api/atlas/v2/orgs/{target_org}/liveMigrations/linkTokens"
v2 = {"Accept": "application/vnd.atlas.2023-01-01+json", "Content-Type": "application/vnd.atlas.2023-01-01+json"}

atlas = requests.Session()
atlas.auth = HTTPDigestAuth(target_pub, target_priv)
ops = requests.Session()
ops.auth = HTTPDigestAuth(source_pub, source_priv)


def report(name, response):
    print(json.dumps({"call": name, "status": response.status_code, "body": response.text,
                      "contentType": response.headers.get("Content-Type")}))
    return response


token = report("createLinkToken", atlas.post(tokens, json={"accessListIps": []}, headers=v2)).json()["linkToken"]
report("createLink", ops.post(link, json={"linkToken": token}))
report("status", ops.get(link + "/status"))
report("statusPretty", ops.get(link + "/status", params={"pretty": "true"}))
report("deleteLink", ops.delete(link))
report("statusAfterDelete", ops.get(link + "/status"))
report("deleteLinkTokens", atlas.delete(tokens, headers=v2))
report("deleteLinkTokensAgain", atlas.delete(tokens, headers=v2))
wrong = requests.get(link + "/status", auth=HTTPDigestAuth(source_pub, "00000000-0000-4000-8000-000000000000"))
report("wrongPassword", wrong)
