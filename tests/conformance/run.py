#!/usr/bin/env python3
"""External SCIM conformance run: python-scim's scim2-tester plus read checks of our own.

Runs every scim2-tester check (discovery, CRUD, PATCH, misc) against a running zoom-scim
service, then a set of read-path checks over the users the service already has (the
tester's own read checks all begin by creating a resource). Every response is parsed and
validated by scim2-client against the schemas the server publishes.

Outcome per check id (`[resource type/]checker[[attribute path]]`):
  PASS   the check passed
  SKIP   the tester skipped it (feature not announced, nothing to test)
  XFAIL  it failed and tests/conformance/expected-failures.txt lists it (with an issue)
  FAIL   it failed and is not listed                                   -> exit 1
  XPASS  a listed entry matched no failure: the feature landed, or the  -> exit 1
         entry names no check; remove it from the list

Usage: run.py --base-url http://127.0.0.1:8080/scim/v2 --token demo-token
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import Error, ListResponse, ResponseParameters, SearchRequest
from scim2_tester import CheckResult, Status, check_server

HERE = Path(__file__).resolve().parent
DEFAULT_EXPECTED = HERE / "expected-failures.txt"

# Statuses that count as a failure. DEVIATION (a SHOULD not followed) counts too: a
# deliberate deviation goes into the expected-failures list with its reason.
FAILING = {Status.ERROR, Status.CRITICAL, Status.DEVIATION}


@dataclass
class ExpectedFailure:
    """One line of the expected-failures file."""

    check: str
    issue: str
    reason: str
    line: int

    def covers(self, check_id: str) -> bool:
        """An entry covers its own id and, without a `[...]` part, every per-attribute
        result of the same checker (`User/check_add_attribute[title]`)."""
        return check_id == self.check or check_id.startswith(self.check + "[")


def load_expected(path: Path) -> list[ExpectedFailure]:
    """Reads `CHECK-ID  #ISSUE  REASON` lines; `#` at the start of a line is a comment."""
    entries = []
    problems = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3 or not parts[1].startswith("#") or not parts[1][1:].isdigit():
            problems.append(f"{path.name}:{number}: expected `CHECK-ID #ISSUE REASON`: {raw!r}")
            continue
        entries.append(ExpectedFailure(parts[0], parts[1], parts[2], number))
    seen: dict[str, int] = {}
    for entry in entries:
        if entry.check in seen:
            problems.append(
                f"{path.name}:{entry.line}: {entry.check} already listed on line {seen[entry.check]}"
            )
        seen[entry.check] = entry.line
    if problems:
        raise SystemExit("\n".join(problems))
    return entries


def check_id(result: CheckResult) -> str:
    """A stable name for a result: resource type, checker, and the attribute path for
    the per-attribute PATCH checks."""
    name = result.title or "unnamed"
    if result.resource_type:
        name = f"{result.resource_type}/{name}"
    if isinstance(result.data, dict) and isinstance(result.data.get("urn"), str):
        name += f"[{result.data['urn']}]"
    return name


# --- test data the tester generates ---------------------------------------------------


def use_email_user_names() -> None:
    """scim2-tester fills every string with a random UUID, `userName` included. Zoom
    users log in with an e-mail address, so zoom-scim refuses any other userName (400
    invalidValue) and every User check would stop at its first create. Real clients
    (Entra, Okta, midPoint) send the e-mail there; so does the tester after this patch.
    The domain is the demo account's managed domain (`autoCreate` requires one). Only
    `userName` changes: every other generated value stays the tester's own."""
    import scim2_tester.checkers.patch_add as patch_add
    import scim2_tester.checkers.patch_replace as patch_replace
    import scim2_tester.filling as filling

    original = filling.generate_random_value

    def generate(context: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        value = original(context, path, *args, **kwargs)
        if isinstance(value, str) and str(path).lower().endswith("username"):
            return f"{value}@example.com"
        return value

    for module in (filling, patch_add, patch_replace):
        module.generate_random_value = generate


# --- read checks of our own, over the users the service already holds ----------------


class CheckFailed(Exception):
    """A read check's assertion failed."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


class ReadChecks:
    """Read-path checks that need no write: paging, get by id, filters, projection,
    errors. Each method returns a one-line success reason or raises."""

    def __init__(self, client: SyncSCIMClient, http: httpx2.Client):
        self.client = client
        self.http = http
        self._all: list[Any] | None = None

    def all_users(self, page: int = 25) -> list[Any]:
        """Every user, paged with `startIndex`/`count`; checks the paging invariants."""
        if self._all is not None:
            return self._all
        users: list[Any] = []
        start = 1
        total = None
        while True:
            response = self.client.query(
                "User", query_parameters=SearchRequest(start_index=start, count=page)
            )
            expect(isinstance(response, ListResponse), f"not a ListResponse: {response!r}")
            expect(
                total is None or response.total_results == total,
                f"totalResults changed while paging: {total} then {response.total_results}",
            )
            total = response.total_results
            expect(response.start_index == start, f"startIndex {response.start_index} != {start}")
            resources = response.resources or []
            expect(
                response.items_per_page == len(resources),
                f"itemsPerPage {response.items_per_page} != {len(resources)} resources",
            )
            expect(len(resources) <= page, f"{len(resources)} resources for count={page}")
            users.extend(resources)
            if not resources or start + len(resources) > total:
                break
            start += len(resources)
        ids = [u.id for u in users]
        expect(len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} duplicate ids across pages")
        expect(len(ids) == total, f"{len(ids)} users paged, totalResults says {total}")
        expect(total > 0, "the service lists no users (the demo seeds some)")
        self._all = users
        return users

    def paging_covers_every_user_once(self) -> str:
        users = self.all_users()
        return f"{len(users)} users over pages of 25, no duplicates, stable totalResults"

    def get_by_id_matches_listing(self) -> str:
        for listed in self.all_users()[:3]:
            user = self.client.query("User", listed.id)
            expect(user.id == listed.id, f"asked for {listed.id}, got {user.id}")
            expect(user.user_name == listed.user_name, f"userName differs for {listed.id}")
            location = user.meta.location if user.meta else None
            expect(
                bool(location) and location.endswith(f"/Users/{listed.id}"),
                f"meta.location {location!r} does not end in /Users/{listed.id}",
            )
            raw = self.http.get(f"Users/{listed.id}")
            etag = raw.headers.get("etag")
            version = raw.json().get("meta", {}).get("version")
            expect(etag == version, f"ETag header {etag!r} != meta.version {version!r}")
        return "3 users read back by id, meta.location and ETag consistent"

    def filter_username_eq_case_insensitive(self) -> str:
        target = self.all_users()[0]
        mixed = target.user_name.upper()
        response = self.client.query(
            "User", query_parameters=SearchRequest(filter=f'userName eq "{mixed}"')
        )
        ids = [u.id for u in response.resources or []]
        expect(ids == [target.id], f'userName eq "{mixed}" returned {ids}, wanted [{target.id}]')
        expect(response.total_results == 1, f"totalResults {response.total_results}")
        return f"userName eq (upper-cased) found exactly {target.id}"

    def search_post_matches_get(self) -> str:
        target = self.all_users()[-1]
        request = SearchRequest(filter=f'userName eq "{target.user_name}"')
        response = self.client.search("User", request)
        ids = [u.id for u in response.resources or []]
        expect(ids == [target.id], f"POST /Users/.search returned {ids}, wanted [{target.id}]")
        return "POST /Users/.search agrees with GET"

    def attributes_projection(self) -> str:
        target = self.all_users()[0]
        raw = self.http.get(f"Users/{target.id}", params={"attributes": "userName"})
        expect(raw.status_code == 200, f"status {raw.status_code}")
        body = raw.json()
        keys = set(body) - {"schemas", "id", "meta"}
        expect(keys == {"userName"}, f"attributes=userName returned {sorted(keys)}")
        return "attributes=userName returns id, schemas and userName only"

    def excluded_attributes(self) -> str:
        response = self.client.query(
            "User",
            query_parameters=SearchRequest(count=5, excluded_attributes=["emails", "name"]),
        )
        for user in response.resources or []:
            expect(user.emails is None and user.name is None, f"{user.id} still has emails/name")
            expect(bool(user.user_name), f"{user.id} lost userName")
        return "excludedAttributes=emails,name drops both, keeps the rest"

    def active_filter_partitions_users(self) -> str:
        total = len(self.all_users())
        counts = {}
        for value in ("true", "false"):
            response = self.client.query(
                "User",
                query_parameters=SearchRequest(filter=f"active eq {value}", count=0),
            )
            counts[value] = response.total_results
        expect(
            counts["true"] + counts["false"] == total,
            f"active eq true ({counts['true']}) + false ({counts['false']}) != {total}",
        )
        return f"active eq true/false partition the {total} users ({counts})"

    def count_zero_returns_totals_only(self) -> str:
        raw = self.http.get("Users", params={"count": "0"})
        body = raw.json()
        expect(raw.status_code == 200, f"status {raw.status_code}")
        expect(not body.get("Resources"), "count=0 returned resources")
        expect(body.get("totalResults") == len(self.all_users()), f"totalResults {body}")
        return "count=0 answers totalResults without Resources"

    def no_match_is_empty_list(self) -> str:
        response = self.client.query(
            "User",
            query_parameters=SearchRequest(filter='userName eq "nobody.at.all@example.invalid"'),
        )
        expect(response.total_results == 0, f"totalResults {response.total_results}")
        expect(not response.resources, "resources returned for a filter with no match")
        return "a filter with no match answers 200 and totalResults 0"

    def unknown_id_is_404(self) -> str:
        response = self.client.query("User", "no-such-user-id", raise_scim_errors=False)
        expect(isinstance(response, Error), f"not an Error: {response!r}")
        expect(response.status == 404, f"status {response.status}")
        return "GET /Users/{unknown} answers a 404 SCIM error"

    def invalid_filter_is_400(self) -> str:
        raw = self.http.get("Users", params={"filter": 'userName eq "unterminated'})
        body = raw.json()
        expect(raw.status_code == 400, f"status {raw.status_code}")
        expect(body.get("scimType") == "invalidFilter", f"scimType {body.get('scimType')!r}")
        expect(body.get("status") == "400", f"status member {body.get('status')!r}")
        return "a malformed filter answers 400 invalidFilter"

    def missing_token_is_401(self) -> str:
        raw = httpx2.get(str(self.http.base_url.join("Users")), timeout=30)
        expect(raw.status_code == 401, f"status {raw.status_code}")
        expect(
            raw.headers.get("www-authenticate", "").lower().startswith("bearer"),
            f"WWW-Authenticate {raw.headers.get('www-authenticate')!r}",
        )
        expect(raw.json().get("status") == "401", "no SCIM error body")
        return "no bearer token answers 401 with WWW-Authenticate and a SCIM error"

    def single_resource_attributes_via_client(self) -> str:
        target = self.all_users()[0]
        user = self.client.query(
            "User",
            target.id,
            query_parameters=ResponseParameters(attributes=["name.givenName"]),
        )
        expect(user.user_name is None, "userName returned though not requested")
        expect(user.name is not None and user.name.family_name is None, "sub-attribute projection")
        return "attributes=name.givenName returns the partial complex attribute"

    def all(self) -> list[tuple[str, Callable[[], str]]]:
        return [
            ("read/paging_covers_every_user_once", self.paging_covers_every_user_once),
            ("read/get_by_id_matches_listing", self.get_by_id_matches_listing),
            ("read/filter_username_eq_case_insensitive", self.filter_username_eq_case_insensitive),
            ("read/search_post_matches_get", self.search_post_matches_get),
            ("read/attributes_projection", self.attributes_projection),
            ("read/single_resource_sub_attribute", self.single_resource_attributes_via_client),
            ("read/excluded_attributes", self.excluded_attributes),
            ("read/active_filter_partitions_users", self.active_filter_partitions_users),
            ("read/count_zero_returns_totals_only", self.count_zero_returns_totals_only),
            ("read/no_match_is_empty_list", self.no_match_is_empty_list),
            ("read/unknown_id_is_404", self.unknown_id_is_404),
            ("read/invalid_filter_is_400", self.invalid_filter_is_400),
            ("read/missing_token_is_401", self.missing_token_is_401),
        ]


def run_read_checks(client: SyncSCIMClient, http: httpx2.Client) -> list[CheckResult]:
    results = []
    checks = ReadChecks(client, http)
    for name, check in checks.all():
        try:
            reason = check()
            results.append(CheckResult(status=Status.SUCCESS, title=name, reason=reason))
        except Exception as exc:  # a check's failure, whatever raised it, is its result
            kind = "" if isinstance(exc, CheckFailed) else f"{type(exc).__name__}: "
            results.append(
                CheckResult(
                    status=Status.ERROR,
                    title=name,
                    reason=f"{kind}{exc}",
                    data=traceback.format_exc(limit=3),
                )
            )
    return results


# --- driver ------------------------------------------------------------------------------


def wait_healthy(http: httpx2.Client, url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = http.get(url)
            if response.status_code == 200:
                return
            last = f"status {response.status_code}"
        except httpx2.HTTPError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise SystemExit(f"{url} not healthy after {timeout_s:.0f} s: {last}")


def one_line(text: str | None, width: int = 160) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="SCIM base URL, e.g. .../scim/v2")
    parser.add_argument("--token", required=True, help="bearer token")
    parser.add_argument("--health-url", help="wait until this URL answers 200 first")
    parser.add_argument("--health-timeout-s", type=float, default=60)
    parser.add_argument("--expected-failures", type=Path, default=DEFAULT_EXPECTED)
    parser.add_argument(
        "--seed",
        type=int,
        default=20261122,
        help="seed of the tester's random values (booleans, integers, choices), so that "
        "a run, and the expected-failures list, are reproducible",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every result")
    args = parser.parse_args()

    expected = load_expected(args.expected_failures)
    base = args.base_url.rstrip("/") + "/"
    http = httpx2.Client(
        base_url=base,
        headers={"Authorization": f"Bearer {args.token}"},
        timeout=60,
    )
    if args.health_url:
        wait_healthy(http, args.health_url, args.health_timeout_s)

    started = time.monotonic()
    client = SyncSCIMClient(http)
    use_email_user_names()
    random.seed(args.seed)
    results = check_server(client)
    if client.provider.models:
        results += run_read_checks(client, http)
    else:
        results.append(
            CheckResult(
                status=Status.ERROR,
                title="read/service_description",
                reason="discovery gave no resource models; read checks not run",
            )
        )
    elapsed = time.monotonic() - started

    # Group results by id; an id fails if any of its results fails.
    by_id: dict[str, list[CheckResult]] = {}
    for result in results:
        by_id.setdefault(check_id(result), []).append(result)

    passed, skipped, xfailed, failed = [], [], [], []
    used: set[int] = set()
    for cid, group in by_id.items():
        failures = [r for r in group if r.status in FAILING]
        if failures:
            entry = next((e for e in expected if e.covers(cid)), None)
            if entry:
                used.add(entry.line)
                xfailed.append((cid, entry, failures[0]))
            else:
                failed.append((cid, failures[0]))
        elif all(r.status == Status.SKIPPED for r in group):
            skipped.append((cid, group[0]))
        else:
            passed.append((cid, group))
    stale = [e for e in expected if e.line not in used]

    print(f"scim2-tester against {base} ({elapsed:.1f} s, {len(results)} results)")
    for cid, group in passed:
        if args.verbose:
            print(f"  PASS   {cid}  ({len(group)}) {one_line(group[0].reason, 100)}")
        else:
            print(f"  PASS   {cid}")
    for cid, result in skipped:
        print(f"  SKIP   {cid}: {one_line(result.reason)}")
    for cid, entry, result in xfailed:
        print(f"  XFAIL  {cid}  [{entry.issue}: {entry.reason}]")
        if args.verbose:
            print(f"         got: {one_line(result.reason)}")
    for cid, result in failed:
        print(f"  FAIL   {cid} ({result.status.name}): {one_line(result.reason, 400)}")
        if result.data is not None:
            print(f"         data: {one_line(str(result.data), 400)}")
    known = set(by_id)
    for entry in stale:
        if any(entry.covers(cid) for cid in known):
            why = "now passes: remove it from the list"
        else:
            why = "names no check that ran: fix or remove it"
        print(
            f"  XPASS  {entry.check} (expected-failures line {entry.line}, {entry.issue}): {why}"
        )

    bad = len(failed) + len(stale)
    print(
        f"conformance: {len(xfailed)} expected failures (issues), {len(skipped)} skipped by the tester"
    )
    print(f"conformance: {len(passed)} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
