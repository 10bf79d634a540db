"""Drives a started livelink with Python clients nobody in this project wrote, and prints one JSON line
per check: {"client","operation","expected","got","ok"}.

- requests' HTTPDigestAuth, one Session per role (nonce reuse, nc counting), as a script written for Ops
  Manager and Atlas would do it: the whole link flow and its error paths, bodies compared byte for byte;
- the `opsmanager` package from PyPI (a third-party Ops Manager client): organizations, projects and the
  live-migration connection status.

Configuration: the LIVELINK_CONFORMANCE_* environment variables (see conformance/README.md).
"""
import json
import os
import sys
from importlib.metadata import version

import requests
from requests.auth import HTTPDigestAuth

import opsmanager
from opsmanager.errors import OpsManagerError

env = os.environ.get
SOURCE_URL = env("LIVELINK_CONFORMANCE_SOURCE_URL", "").rstrip("/")
TARGET_URL = env("LIVELINK_CONFORMANCE_TARGET_URL", "").rstrip("/")
SOURCE_ORG = env("LIVELINK_CONFORMANCE_SOURCE_ORG", "")
SOURCE_OTHER_ORG = env("LIVELINK_CONFORMANCE_SOURCE_OTHER_ORG", "")
SOURCE_PUB = env("LIVELINK_CONFORMANCE_SOURCE_PUBLIC_KEY", "")
SOURCE_PRIV = env("LIVELINK_CONFORMANCE_SOURCE_PRIVATE_KEY", "")
TARGET_ORG = env("LIVELINK_CONFORMANCE_TARGET_ORG", "")
TARGET_PUB = env("LIVELINK_CONFORMANCE_TARGET_PUBLIC_KEY", "")
TARGET_PRIV = env("LIVELINK_CONFORMANCE_TARGET_PRIVATE_KEY", "")
PROJECT_NAME = env("LIVELINK_CONFORMANCE_PROJECT_NAME", "Demo Project")
MIGRATION_HOST = env("LIVELINK_CONFORMANCE_MIGRATION_HOST", "")
# Wrong-private-key checks use other keys of the same organizations: livelink blocks a (public key,
# address) pair for 300 s after 5 failed digests in 60 s, which must not hit the keys of the flow.
SOURCE_PROBE_PUB = env("LIVELINK_CONFORMANCE_SOURCE_PROBE_PUBLIC_KEY") or SOURCE_PUB
TARGET_PROBE_PUB = env("LIVELINK_CONFORMANCE_TARGET_PROBE_PUBLIC_KEY") or TARGET_PUB
# A key this script gets blocked on purpose, to see the 429 a client then gets.
THROTTLE_PUB = env("LIVELINK_CONFORMANCE_SOURCE_THROTTLE_PUBLIC_KEY", "")
THROTTLE_PRIV = env("LIVELINK_CONFORMANCE_SOURCE_THROTTLE_PRIVATE_KEY", "")
WRONG_PRIV = "00000000-0000-4000-8000-000000000000"

V2 = "application/vnd.atlas.2023-01-01+json"
V2_HEADERS = {"Accept": V2, "Content-Type": V2}
CHALLENGE_PREFIX = 'Digest realm="MMS Public API", domain="", nonce="'
CHALLENGE_SUFFIX = '", algorithm=MD5, qop="auth", stale=false'

REQUESTS = f"python requests {version('requests')}"
OPSMANAGER = f"python opsmanager {version('opsmanager')}"

failures = 0


def emit(client, operation, expected, got):
    global failures
    ok = expected == got
    if not ok:
        failures += 1
    print(json.dumps({"client": client, "operation": operation, "expected": expected, "got": got, "ok": ok}), flush=True)
    return ok


def error_code(response):
    try:
        return response.json().get("errorCode") or "(no errorCode)"
    except ValueError:
        return "(body is not JSON)"


def status_and_code(response):
    return f"{response.status_code} {error_code(response)}"


def link_url(org=SOURCE_ORG):
    return f"{SOURCE_URL}/api/public/v1.0/orgs/{org}/liveExport/migrationLink"


def tokens_url(org=TARGET_ORG, api="v2"):
    return f"{TARGET_URL}/api/atlas/{api}/orgs/{org}/liveMigrations/linkTokens"


def available_url(org=TARGET_ORG, api="v2"):
    return f"{TARGET_URL}/api/atlas/{api}/orgs/{org}/liveMigrations/availableProjects"


def main():
    missing = [name for name, value in {
        "SOURCE_URL": SOURCE_URL, "TARGET_URL": TARGET_URL, "SOURCE_ORG": SOURCE_ORG,
        "SOURCE_OTHER_ORG": SOURCE_OTHER_ORG, "SOURCE_PUBLIC_KEY": SOURCE_PUB, "SOURCE_PRIVATE_KEY": SOURCE_PRIV,
        "TARGET_ORG": TARGET_ORG, "TARGET_PUBLIC_KEY": TARGET_PUB, "TARGET_PRIVATE_KEY": TARGET_PRIV,
    }.items() if not value]
    if missing:
        print("python_clients: missing LIVELINK_CONFORMANCE_" + ", ".join(missing), file=sys.stderr)
        return 2

    om_client = opsmanager.OpsManagerClient(
        base_url=SOURCE_URL, public_key=SOURCE_PUB, private_key=SOURCE_PRIV, rate_limit=0, retry_count=0)
    ops = requests.Session()
    ops.auth = HTTPDigestAuth(SOURCE_PUB, SOURCE_PRIV)
    atlas = requests.Session()
    atlas.auth = HTTPDigestAuth(TARGET_PUB, TARGET_PRIV)
    challenged = []  # one entry per call: did the session need a fresh 401 challenge?

    def call(session, method, url, **kwargs):
        response = session.request(method, url, timeout=30, **kwargs)
        challenged.append(any(r.status_code == 401 for r in response.history))
        return response

    opsmanager_inventory(om_client)
    opsmanager_status(om_client, "before any link", "NOT_SYNCED")

    # Target: a link-token through the v2 API, with its versioned media type.
    created = call(atlas, "POST", tokens_url(), json={"accessListIps": []}, headers=V2_HEADERS)
    token = ""
    got = f"{created.status_code} {created.headers.get('Content-Type')}"
    if created.ok:
        token = created.json().get("linkToken", "")
        got += " linkToken" if token else " (no linkToken)"
    emit(REQUESTS, "POST v2 linkTokens {\"accessListIps\":[]}", f"201 {V2};charset=utf-8 linkToken", got)

    # Source: error paths while nothing is linked.
    r = call(ops, "POST", link_url(), json={})
    emit(REQUESTS, "POST migrationLink {}", "400 MISSING_ATTRIBUTE", status_and_code(r))
    r = call(ops, "POST", link_url(), json={"linkToken": "not base64 at all!"})
    emit(REQUESTS, "POST migrationLink garbage linkToken", "400 INVALID_ATTRIBUTE", status_and_code(r))
    r = call(ops, "POST", link_url(), json={"linkToken": token, "extra": 1})
    emit(REQUESTS, "POST migrationLink with an unknown field", "400 INVALID_ATTRIBUTE", status_and_code(r))
    r = call(ops, "POST", link_url(), data='{"linkToken": ', headers={"Content-Type": "application/json"})
    emit(REQUESTS, "POST migrationLink malformed JSON", "400 INVALID_JSON", status_and_code(r))
    r = call(ops, "GET", link_url(SOURCE_OTHER_ORG) + "/status")
    emit(REQUESTS, "GET status of another organization", "401 USER_UNAUTHORIZED", status_and_code(r))

    # The flow.
    r = call(ops, "POST", link_url(), json={"linkToken": token})
    emit(REQUESTS, "POST migrationLink", '201 {"status":"SYNCED"}', f"{r.status_code} {r.text}")
    emit(REQUESTS, "POST migrationLink headers", "application/json | max-age=300 | Accept-Encoding | gitHash=…; versionString=…",
         " | ".join([
             str(r.headers.get("Content-Type")), str(r.headers.get("Strict-Transport-Security")), str(r.headers.get("Vary")),
             "gitHash=…; versionString=…" if (r.headers.get("X-MongoDB-Service-Version") or "").startswith("gitHash=")
             and "; versionString=" in r.headers.get("X-MongoDB-Service-Version", "") else str(r.headers.get("X-MongoDB-Service-Version")),
         ]))
    r = call(ops, "GET", link_url() + "/status")
    emit(REQUESTS, "GET status", '200 {"status":"SYNCED"}', f"{r.status_code} {r.text}")
    r = call(ops, "GET", link_url() + "/status", params={"pretty": "true"})
    emit(REQUESTS, "GET status?pretty=true", '200 {\n  "status" : "SYNCED"\n}', f"{r.status_code} {r.text}")
    r = call(ops, "GET", link_url() + "/status", params={"envelope": "true"})
    emit(REQUESTS, "GET status?envelope=true", '200 {"content":{"status":"SYNCED"},"status":200}', f"{r.status_code} {r.text}")
    opsmanager_status(om_client, "after the link", "SYNCED")

    r = call(atlas, "GET", available_url(), headers={"Accept": V2})
    emit(REQUESTS, "GET v2 availableProjects", f"200 {V2};charset=utf-8 {PROJECT_NAME!r} with deployment and migration host",
         f"{r.status_code} {r.headers.get('Content-Type')} {describe_available(r)}")
    r = call(atlas, "GET", available_url(api="v1.0"))
    emit(REQUESTS, "GET v1.0 availableProjects", f"200 application/json {PROJECT_NAME!r} with deployment and migration host",
         f"{r.status_code} {r.headers.get('Content-Type')} {describe_available(r)}")

    r = call(ops, "DELETE", link_url())
    emit(REQUESTS, "DELETE migrationLink", "204 ''", f"{r.status_code} {r.text!r}")
    r = call(ops, "GET", link_url() + "/status")
    emit(REQUESTS, "GET status after DELETE", '200 {"status":"NOT_SYNCED"}', f"{r.status_code} {r.text}")
    opsmanager_status(om_client, "after the link was deleted", "NOT_SYNCED")

    r = call(atlas, "DELETE", tokens_url(), headers=V2_HEADERS)
    emit(REQUESTS, "DELETE v2 linkTokens", "204 ''", f"{r.status_code} {r.text!r}")
    r = call(atlas, "DELETE", tokens_url(), headers=V2_HEADERS)
    emit(REQUESTS, "DELETE v2 linkTokens again", "404 UNEXPECTED_ERROR", status_and_code(r))

    # One challenge per Session, then requests reuses the nonce with nc 2, 3, ... for every later call.
    emit(REQUESTS, "Session nonce reuse", f"2 challenges for {len(challenged)} calls", f"{sum(challenged)} challenges for {len(challenged)} calls")

    # A wrong private key: exactly the documented challenge, and the error body.
    wrong = requests.get(link_url() + "/status", auth=HTTPDigestAuth(SOURCE_PROBE_PUB, WRONG_PRIV), timeout=30)
    emit(REQUESTS, "GET status with a wrong private key", "401 USER_UNAUTHORIZED", status_and_code(wrong))
    challenge = wrong.headers.get("WWW-Authenticate", "")
    nonce = challenge[len(CHALLENGE_PREFIX):-len(CHALLENGE_SUFFIX)] if challenge.startswith(CHALLENGE_PREFIX) and challenge.endswith(CHALLENGE_SUFFIX) else ""
    emit(REQUESTS, "WWW-Authenticate on a wrong private key", "Digest realm=\"MMS Public API\", … qop=\"auth\", stale=false (alnum nonce)",
         "Digest realm=\"MMS Public API\", … qop=\"auth\", stale=false (alnum nonce)" if nonce.isalnum() else challenge)
    wrong_target = requests.post(tokens_url(), json={"accessListIps": []}, headers=V2_HEADERS,
                                 auth=HTTPDigestAuth(TARGET_PROBE_PUB, WRONG_PRIV), timeout=30)
    emit(REQUESTS, "POST v2 linkTokens with a wrong private key", "401 USER_UNAUTHORIZED", status_and_code(wrong_target))

    opsmanager_errors()
    requests_api_keys()
    if THROTTLE_PUB and THROTTLE_PRIV:
        throttled()
    return 0 if failures == 0 else 1


def describe_available(response):
    try:
        projects = response.json()
    except ValueError:
        return "(body is not JSON)"
    if not isinstance(projects, list):
        return f"(not a list: {str(projects)[:80]})"
    for project in projects:
        if project.get("name") == PROJECT_NAME:
            hosts = project.get("migrationHosts") or []
            if not project.get("deployments"):
                return f"{PROJECT_NAME!r} without deployments"
            if not hosts or (MIGRATION_HOST and MIGRATION_HOST not in hosts):
                return f"{PROJECT_NAME!r} with migration hosts {hosts}"
            return f"{PROJECT_NAME!r} with deployment and migration host"
    return f"{PROJECT_NAME!r} not listed ({[p.get('name') for p in projects]})"


def opsmanager_inventory(client):
    def attempt(operation, expected, fn):
        try:
            got = fn()
        except OpsManagerError as error:
            got = f"{type(error).__name__} {error.status_code} {error.error_code}"
        emit(OPSMANAGER, operation, expected, got)

    attempt("organizations.list()", "source listed", lambda: "source listed" if any(
        o.id == SOURCE_ORG for o in client.organizations.list()) else "source not listed")
    attempt("organizations.get()", "id matches, name set", lambda: (lambda o: f"id {'matches' if o.id == SOURCE_ORG else 'differs'}, name {'set' if o.name else 'empty'}")(
        client.organizations.get(SOURCE_ORG)))
    projects = []

    def list_projects():
        projects.extend(client.organizations.list_projects(SOURCE_ORG))
        return f"{PROJECT_NAME!r} listed" if any(p.name == PROJECT_NAME for p in projects) else f"{PROJECT_NAME!r} not listed"
    attempt("organizations.list_projects()", f"{PROJECT_NAME!r} listed", list_projects)
    for project in projects:
        if project.name == PROJECT_NAME:
            attempt("projects.get()", f"name {PROJECT_NAME!r}, orgId matches", lambda: (lambda p: f"name {p.name!r}, orgId {'matches' if p.org_id == SOURCE_ORG else 'differs'}")(
                client.projects.get(project.id)))
    # Around the link: every project the key sees, the organization's users and its API keys.
    attempt("projects.list() (GET groups)", f"{PROJECT_NAME!r} listed, all of the source organization", lambda: (lambda ps: (
        f"{PROJECT_NAME!r} {'listed' if any(p.name == PROJECT_NAME for p in ps) else 'not listed'}, "
        f"{'all' if all(p.org_id == SOURCE_ORG for p in ps) else 'not all'} of the source organization"))(client.projects.list()))
    attempt("organizations.list_users()", "each with a username and its organization role", lambda: (
        "each with a username and its organization role" if all(
            u.username and [r.get("orgId") for r in u.roles] == [SOURCE_ORG] for u in client.organizations.list_users(SOURCE_ORG))
        else "a user without its role"))
    keys = []

    def list_keys():
        keys.extend(client.api_keys.list_organization_keys(SOURCE_ORG, items_per_page=1))
        own = [k for k in keys if k.public_key == SOURCE_PUB]
        return f"own key listed {len(own)} time(s), private keys shown {sum(1 for k in keys if k.private_key)}"
    attempt("api_keys.list_organization_keys(items_per_page=1)", "own key listed 1 time(s), private keys shown 0", list_keys)
    for key in keys:
        if key.public_key == SOURCE_PUB:
            attempt("api_keys.get_organization_key()", "desc set, roles ORG_OWNER", lambda: (lambda k: (
                f"desc {'set' if k.desc else 'empty'}, roles {','.join(r.get('roleName', '') for r in k.roles)}"))(
                client.api_keys.get_organization_key(SOURCE_ORG, key.id)))


def requests_api_keys():
    """An organization's API key made, restricted and deleted with requests, as scripts do it."""
    owner = requests.Session()
    owner.auth = HTTPDigestAuth(SOURCE_PUB, SOURCE_PRIV)
    keys_url = f"{SOURCE_URL}/api/public/v1.0/orgs/{SOURCE_ORG}/apiKeys"
    r = owner.post(keys_url, json={"desc": "python conformance", "roles": ["ORG_READ_ONLY"]}, timeout=30)
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    emit(REQUESTS, "POST apiKeys", "200 privateKey shown, roles ORG_READ_ONLY",
         f"{r.status_code} privateKey {'shown' if body.get('privateKey') else 'missing'}, roles {','.join(x.get('roleName', '') for x in body.get('roles', []))}")
    if r.status_code != 200:
        return
    key = requests.Session()
    key.auth = HTTPDigestAuth(body["publicKey"], body["privateKey"])
    org_url = f"{SOURCE_URL}/api/public/v1.0/orgs/{SOURCE_ORG}"
    emit(REQUESTS, "the new key at once", "200", str(key.get(org_url, timeout=30).status_code))
    list_url = f"{keys_url}/{body['id']}/accessList"
    r = owner.post(list_url, json=[{"cidrBlock": "192.0.2.0/24"}], timeout=30)
    emit(REQUESTS, "POST accessList [192.0.2.0/24]", "200 totalCount 1", f"{r.status_code} totalCount {r.json().get('totalCount')}")
    emit(REQUESTS, "the key from 127.0.0.1 after that", "403 IP_ADDRESS_NOT_ON_ACCESS_LIST", status_and_code(key.get(org_url, timeout=30)))
    r = owner.get(f"{list_url}/192.0.2.0%2F24?pretty=true", timeout=30)
    emit(REQUESTS, "GET accessList/192.0.2.0%2F24?pretty=true", '200 {\n  "cidrBlock" : "192.0.2.0/24",', f"{r.status_code} {chr(10).join(r.text.splitlines()[:2])}")
    r = owner.delete(f"{list_url}/192.0.2.0%2F24", timeout=30)
    emit(REQUESTS, "DELETE accessList/192.0.2.0%2F24", "204 ''", f"{r.status_code} {r.text!r}")
    emit(REQUESTS, "the key with an empty access list again", "200", str(key.get(org_url, timeout=30).status_code))
    r = owner.delete(f"{keys_url}/{body['id']}", timeout=30)
    emit(REQUESTS, "DELETE apiKeys/{id}", "204 ''", f"{r.status_code} {r.text!r}")
    emit(REQUESTS, "GET apiKeys/{id} after the delete", "400 API_KEY_NOT_FOUND", status_and_code(owner.get(f"{keys_url}/{body['id']}", timeout=30)))


def opsmanager_status(client, when, expected):
    try:
        got = client.live_migration.get_connection_status(SOURCE_ORG).status
    except OpsManagerError as error:
        got = f"{type(error).__name__} {error.status_code} {error.error_code}"
    emit(OPSMANAGER, f"live_migration.get_connection_status() {when}", expected, got)


def opsmanager_errors():
    wrong = opsmanager.OpsManagerClient(base_url=SOURCE_URL, public_key=SOURCE_PROBE_PUB, private_key=WRONG_PRIV, rate_limit=0, retry_count=0)
    right = opsmanager.OpsManagerClient(base_url=SOURCE_URL, public_key=SOURCE_PUB, private_key=SOURCE_PRIV, rate_limit=0, retry_count=0)
    for client, operation, fn in [
        (wrong, "get_connection_status() with a wrong private key", lambda: wrong.live_migration.get_connection_status(SOURCE_ORG)),
        (right, "get_connection_status() of another organization", lambda: right.live_migration.get_connection_status(SOURCE_OTHER_ORG)),
        (right, "organizations.get() of another organization", lambda: right.organizations.get(SOURCE_OTHER_ORG)),
    ]:
        try:
            fn()
            got = "no error"
        except OpsManagerError as error:
            got = f"{type(error).__name__} 401 {error.error_code}" if error.status_code == 401 else f"{type(error).__name__} {error.status_code} {error.error_code}"
        emit(OPSMANAGER, operation, "OpsManagerAuthenticationError 401 USER_UNAUTHORIZED", got)


def throttled():
    """Five wrong digests in a row block the key from this address (livelink's D-21 budget); then even the
    right private key gets 429 RATE_LIMITED, whose Retry-After clients read as integer seconds
    (the opsmanager package calls int() on it)."""
    status_url = link_url() + "/status"
    for _ in range(5):
        requests.get(status_url, auth=HTTPDigestAuth(THROTTLE_PUB, WRONG_PRIV), timeout=30)
    r = requests.get(status_url, auth=HTTPDigestAuth(THROTTLE_PUB, THROTTLE_PRIV), timeout=30)
    retry_after = r.headers.get("Retry-After", "")
    emit(REQUESTS, "GET status with the right key after 5 wrong digests",
         "429 RATE_LIMITED Retry-After=<integer seconds>",
         f"{status_and_code(r)} Retry-After={'<integer seconds>' if retry_after.isdigit() else repr(retry_after)}")
    client = opsmanager.OpsManagerClient(base_url=SOURCE_URL, public_key=THROTTLE_PUB, private_key=THROTTLE_PRIV, rate_limit=0, retry_count=0)
    try:
        client.live_migration.get_connection_status(SOURCE_ORG)
        got = "no error"
    except OpsManagerError as error:
        retry = getattr(error, "retry_after", None)
        got = f"{type(error).__name__} retry_after={'<int>' if isinstance(retry, int) else repr(retry)}"
    except ValueError as error:  # int() of a Retry-After that is not an integer
        got = f"ValueError {error}"
    emit(OPSMANAGER, "get_connection_status() of a throttled key", "OpsManagerRateLimitError retry_after=<int>", got)


if __name__ == "__main__":
    sys.exit(main())
