#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/) from the inputs the
unit and black-box tests use: string literals of the filter, path and PATCH tests, the
JSON literals of the Zoom model and error tests, and a few bodies in each client's
dialect. Run from the repository root after changing those tests; commit the result.
Files are named by the SHA-1 of their content, as libFuzzer names what it adds; files
named `regression-*` are inputs that once failed, kept as they are."""

import hashlib
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ZOOM = "urn:ietf:params:scim:schemas:extension:zoom:2.0:User"
NATIVE = "urn:ietf:params:scim:schemas:extension:zoom:1.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LITERAL = re.compile(r'r#"(.*?)"#|"((?:[^"\\\n]|\\.)*)"', re.S)
OPERATOR = re.compile(r"\b(eq|ne|co|sw|ew|gt|ge|lt|le|pr)\b", re.I)


def literals(*globs):
    """Every Rust string literal in the test code of the matching files."""
    for pattern in globs:
        for path in sorted(ROOT.glob(pattern)):
            text = path.read_text()
            if "tests/" not in str(path.relative_to(ROOT)):
                text = text[text.find("mod tests") :] if "mod tests" in text else ""
            for m in LITERAL.finditer(text):
                if m.group(1) is not None:
                    yield m.group(1)
                else:
                    try:
                        yield json.loads('"' + m.group(2) + '"')
                    except ValueError:
                        pass


def write(target, items):
    out = CORPUS / target
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        if not old.name.startswith("regression-"):
            old.unlink()
    seen = set()
    for item in items:
        data = item if isinstance(item, bytes) else item.encode()
        if data in seen or len(data) > 4096:
            continue
        seen.add(data)
        (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
    print(f"{target}: {len(seen)} seeds")


def body(value):
    return json.dumps(value, ensure_ascii=False)


SOURCES = ("src/scim/*.rs", "src/mapping/*.rs", "src/provider/*.rs", "tests/integration/*.rs")

filters = [t for t in literals(*SOURCES) if OPERATOR.search(t) and len(t) < 300 and "{" not in t]
write("filter", filters)

# Paths: the `"path"` values of PATCH operations in the tests, and the path tests' literals.
paths = list(literals("src/scim/path.rs"))
for pattern in SOURCES:
    for file in sorted(ROOT.glob(pattern)):
        for m in re.finditer(r'"path"\s*:\s*"((?:[^"\\\n]|\\.)*)"', file.read_text()):
            try:
                paths.append(json.loads('"' + m.group(1) + '"'))
            except ValueError:
                pass
write("path", paths + [ENT + ":manager.value", ZOOM + ":callingPlans", 'emails[type eq "work"].value'])

# PATCH operations as the tests write them (`{"op": ...}` objects that are plain JSON).
operations = []
for path in ("src/scim/patch.rs", "src/mapping/group.rs", "src/mapping/phone_write.rs"):
    text = path and (ROOT / path).read_text().replace("ENT", json.dumps(ENT))
    for m in re.finditer(r'\{"op":[^{}]*(\{[^{}]*\}[^{}]*)*\}', text, re.I):
        try:
            operations.append(json.loads(m.group(0)))
        except ValueError:
            pass
patches = [body({"schemas": [PATCH_OP], "Operations": [op]}) for op in operations]
patches += [
    # Entra (legacy: capitalised ops, string booleans, member removal with a value).
    body({"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": ENT + ":manager", "value": "m2"},
        {"op": "Remove", "path": "members", "value": [{"value": "u1"}]}]}),
    # Okta (no-path replace, filter removal).
    body({"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "value": {"id": "grp1", "displayName": "Renamed", "active": False}},
        {"op": "remove", "path": 'members[value eq "u2"]'}]}),
    # ConnId / midPoint (lower-case `operations`, a stray id).
    body({"id": "x", "operations": [{"op": "add", "path": "emails", "value": [
        {"value": "x@example.com", "type": "home", "primary": True}]}]}),
    body({"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "value": {"name.givenName": "A", ZOOM + ":zoomPhoneFeature": True,
                                 NATIVE + ":zoomPhoneExtNumber": "1001"}}]}),
    body({"schemas": [PATCH_OP], "Operations": []}),
    body({"Operations": [{"op": "remove"}]}),
]
write("patch", patches)

users = [
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT], "userName": "a@example.com",
     "name": {"givenName": "A", "familyName": "B"}, "displayName": "A B", "active": True,
     "emails": [{"value": "a@example.com", "type": "work", "primary": True}],
     "phoneNumbers": [{"value": "+1 800 555 0100", "type": "mobile"}],
     ENT: {"department": "Sales", "manager": {"value": "m1"}}},
    # Entra: top-level extension attributes, string booleans, Microsoft schema URN.
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "e1",
     "userName": "b@example.com", "active": "True", "department": "R&D", "manager": "m1",
     "title": "Engineer", "roles": [{"value": "2", "primary": "true"}]},
    # Okta: groups [], meta, id (read-only, dropped).
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "x", "userName": "c@example.com",
     "groups": [], "meta": {"resourceType": "User"}, "locale": "en-US", "timezone": "Europe/Berlin"},
    {"userName": "d@example.com", ZOOM: {"type": "2", "zoomPhoneFeature": "true", "callingPlans": [200, "300"],
     "siteId": "s1", "extensionNumber": "1001", "zoomPhoneNumbers": ["+14085550100"]},
     NATIVE: {"zoomPhoneExtNumber": "1001", "zoomPhoneSite": "Main"}},
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales",
     "members": [{"value": "u1", "display": "a@x"}, {"value": "u2", "$ref": None}]},
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                 "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
     "displayName": " Entra Team ", "externalId": "e2", "members": []},
    {"userName": None, "emails": [{"primary": True}, {"primary": True}]},
]
write("scim_body", [body(u) for u in users])

# Zoom answers: the recorded user and page of the model tests, Zoom error bodies.
model_text = (ROOT / "src/zoom/model.rs").read_text()
zoom_json = [m.group(1) for m in re.finditer(r'r#"(\{.*?\})"#', model_text, re.S)]
models = []
for text in zoom_json:
    value = json.loads(text)
    if "users" in value:
        models.append(b"\x01" + text.encode())
        models.append(b"\x06" + text.encode())
    elif "email" in value or "first_name" in value:
        models += [b"\x00" + text.encode(), b"\x07" + text.encode(), b"\x0b" + text.encode()]
    else:
        models += [bytes([k]) + text.encode() for k in range(12)]
models += [
    b"\x02" + body({"total_records": 1, "groups": [{"id": "g1", "name": "Sales", "total_members": "2"}]}).encode(),
    b"\x03" + body({"next_page_token": "t", "members": [{"id": "u1", "email": "a@x", "type": 1}]}).encode(),
    b"\x05" + body({"roles": [{"id": "2", "name": "Member", "total_members": 3}]}).encode(),
    b"\x08" + body({"sites": [{"id": "s1", "name": "Main", "site_code": 3}]}).encode(),
    b"\x09" + body({"phone_numbers": [{"id": "n1", "number": "14085550100", "assignee": {"id": "u1"}}]}).encode(),
    b"\x0a" + body({"calling_plans": [{"type": 200, "name": "US/CA", "subscribed": 5, "assigned": 1}]}).encode(),
    b"\x01" + body({"unexpected": True}).encode(),
    b"\x01<html><body>502 Bad Gateway</body></html>",
]
write("zoom_model", models)

errors = []
for text in literals("src/zoom/error.rs", "src/zoom/auth.rs"):
    if text.startswith("{"):
        for status in ("400", "404", "429", "503"):
            errors.append(f"{status}\n\n{text}")
errors += [
    "429\nx-ratelimit-type: Daily-limit\nx-ratelimit-category: Heavy\nretry-after: 2026-02-08T00:00:00Z\n\n"
    '{"code":429,"message":"You have reached the maximum daily rate limit for this API."}',
    '429\nx-ratelimit-type: QPS\nretry-after: 1\n\n{"code":429,"message":"x"}',
    "429\nretry-after: Sun, 08 Feb 2026 00:00:00 GMT\n\n{}",
    '400\nx-zm-trackingid: v=2.0;clid=us06;rid=abc\n\n{"message":"Validation Failed.","errors":'
    '[{"field":"user_info.email","message":"Invalid field."}]}',
    "502\ncontent-type: text/html\n\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    "401\n\n",
]
write("zoom_error", errors)
