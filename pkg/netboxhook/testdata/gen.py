#!/usr/bin/env python3
"""Regenerates the Python-made test vectors of package netboxhook.

Run from this directory: python3 gen.py. It writes, with Python's own json
module (the one NetBox uses), the default webhook body of each payload form
for the same fabric update, and the json.dumps / repr vectors that
test/nbwire.PythonJSON must reproduce (written into test/nbwire/testdata). The Go tests only read the files; they never run
Python.
"""
import json

data = {
    "id": 7,
    "url": "/api/plugins/hedgehog/fabrics/7/",
    "display": "fabric-1 \u00e9\u4e2d",
    "name": "fabric-1",
    "description": "caf\u00e9 \U0001F600 <a&b> /x/",
    "status": {"value": "active", "label": "Active"},
    "git_repository": {"id": 3, "url": "/api/plugins/hedgehog/git-repos-api/3/", "display": "repo", "name": "repo"},
    "gitops_directory": "gitops/hedgehog/fabric-1/",
    "kubernetes_namespace": "default",
    "custom_fields": {"gitops_directory_status": "initialized", "directory_init_error": "", "last_directory_sync": "2026-03-06T15:11:23+00:00", "gitops_commit_url": "https://github.com/o/r/commit/abc", "owner": "net-team"},
    "created": "2026-03-06T15:00:00.000000Z",
    "last_updated": "2026-03-06T15:11:23.503186Z",
    "tags": [],
}
pre = {"name": "fabric-1", "description": "old", "git_repository": 3, "gitops_directory": "gitops/hedgehog/fabric-1/", "custom_fields": {"gitops_directory_status": "initializing", "owner": "net-team"}, "tags": []}
post = {"name": "fabric-1", "description": "caf\u00e9 \U0001F600 <a&b> /x/", "git_repository": 3, "gitops_directory": "gitops/hedgehog/fabric-1/", "custom_fields": {"gitops_directory_status": "initialized", "owner": "net-team"}, "tags": []}

def sorted_obj(o):
    # Go maps come out sorted; data and snapshots are Go maps in Body.
    return json.loads(json.dumps(o, sort_keys=True))

d, pr, po = sorted_obj(data), sorted_obj(pre), sorted_obj(post)
ts = "2026-03-06T15:11:23.503186+00:00"
rid = "0b6a1c4e-2f0c-4b8e-9a57-3f1d1c2e9a10"
req = {"id": rid, "method": "PATCH", "path": "/api/plugins/hedgehog/fabrics/7/", "user": "admin"}
snap = {"prechange": pr, "postchange": po}
forms = {
    "4.0": {"event": "updated", "timestamp": ts, "model": "hedgehogfabric", "username": "admin", "request_id": rid, "data": d, "snapshots": snap},
    "4.4": {"event": "updated", "timestamp": ts, "object_type": "netbox_hedgehog.hedgehogfabric", "model": "hedgehogfabric", "username": "admin", "request_id": rid, "data": d, "snapshots": snap},
    "4.5": {"event": "updated", "timestamp": ts, "object_type": "netbox_hedgehog.hedgehogfabric", "username": "admin", "request_id": rid, "data": d, "snapshots": snap},
    "4.6": {"event": "updated", "timestamp": ts, "object_type": "netbox_hedgehog.hedgehogfabric", "username": "admin", "request_id": rid, "request": req, "data": d, "snapshots": snap},
    "4.7": {"event": "updated", "timestamp": ts, "object_type": "netbox_hedgehog.hedgehogfabric", "request": req, "data": d, "snapshots": snap},
}
for v, ctx in forms.items():
    with open("payload-%s.json" % v, "w") as f:
        f.write(json.dumps(ctx))

# json.dumps(json.loads(in), sort_keys=True) for each input.
inputs = [
    '"plain"', '"quote \\" backslash \\\\ slash / tab \\t nl \\n cr \\r bs \\b ff \\f"',
    '"ctl \\u0001 \\u001f del \\u007f"', '"\\u00e9\\u00fc \\u4e2d\\u6587 \\ud83d\\ude00 \\u2028\\u2029"',
    '"<script>&amp;</script>"', '{"b": 1, "a": [true, false, null, "x"], "c": {"z": {}, "y": []}}',
    '[1, -2, 12345678901234567890]', '{"k\\u00e9y": "v", "": ""}',
]
with open("../../../test/nbwire/testdata/pythonjson.jsonl", "w") as f:
    for s in inputs:
        f.write(json.dumps({"in": s, "want": json.dumps(json.loads(s), sort_keys=True)}) + "\n")

floats = [0.0, -0.0, 1.0, -1.5, 0.1, 1e-4, 1.5e-5, 1e-5, 123.456, 1e15, 1e16, 1.5e16, 123456789012345680.0,
          2.5e-300, 1.7976931348623157e308, 5e-324, 3.141592653589793, 100.0, 1234567.0, 0.30000000000000004]
with open("../../../test/nbwire/testdata/pyfloat.txt", "w") as f:
    for x in floats:
        f.write("%s %s\n" % (x.hex(), repr(x)))

# The X-Hook-Signature NetBox computes (extras/webhooks.py generate_signature)
# for payload-4.6.json with a non-ASCII secret.
import hashlib, hmac
with open("payload-4.6.json", "rb") as f:
    body = f.read()
with open("signature-4.6.txt", "w") as f:
    f.write(hmac.new(key="s3cr\u00e9t".encode("utf8"), msg=body, digestmod=hashlib.sha512).hexdigest() + "\n")
