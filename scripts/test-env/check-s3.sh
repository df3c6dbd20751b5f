#!/usr/bin/env bash
# Usage: check-s3.sh <endpoint> [bucket]
#
# Smoke-test an S3 endpoint (normally the moto server from start-s3.sh) for
# the operations the catalog and the engines rely on, using path-style
# addressing: PutObject, HeadObject, GetObject (incl. ranged), ListObjectsV2
# with prefix + pagination, DeleteObjects (multi-delete) and the 404 for a
# missing key. Prints "s3 ok" on success; exits non-zero with details
# otherwise. Useful when bumping moto.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 ]] || te_die "usage: $0 <endpoint> [bucket]"
venv="$("$TEST_ENV_SCRIPTS_DIR/ensure-python.sh")"

"$venv/bin/python" - "$1" "${2:-warehouse}" <<'PY'
import sys, uuid
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
    region_name="us-east-1",
    config=Config(s3={"addressing_style": "path"}),
)
prefix = f"check-s3/{uuid.uuid4().hex}/"
keys = [f"{prefix}k{i:03d}" for i in range(7)]
for i, k in enumerate(keys):
    s3.put_object(Bucket=bucket, Key=k, Body=f"value-{i}".encode())

assert s3.head_object(Bucket=bucket, Key=keys[3])["ContentLength"] == len(b"value-3")
assert s3.get_object(Bucket=bucket, Key=keys[3])["Body"].read() == b"value-3"
ranged = s3.get_object(Bucket=bucket, Key=keys[3], Range="bytes=2-4")["Body"].read()
assert ranged == b"lue", ranged

# Pagination with a small page size exercises continuation tokens.
seen, token = [], None
while True:
    kw = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": 3}
    if token:
        kw["ContinuationToken"] = token
    page = s3.list_objects_v2(**kw)
    seen += [o["Key"] for o in page.get("Contents", [])]
    if not page.get("IsTruncated"):
        break
    token = page["NextContinuationToken"]
assert seen == keys, seen

res = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
assert not res.get("Errors"), res.get("Errors")
assert s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0) == 0

try:
    s3.get_object(Bucket=bucket, Key=keys[0])
    raise AssertionError("deleted object still readable")
except ClientError as e:
    assert e.response["Error"]["Code"] in ("NoSuchKey", "404"), e.response
print("s3 ok")
PY
