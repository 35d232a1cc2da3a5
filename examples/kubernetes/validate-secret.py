#!/usr/bin/env python3
"""Validates decrypted Kubernetes Secret manifests (stdin, one or more YAML documents) against
the Kubernetes schema, by deserialising each into the official Python client's V1Secret.

Documents of another kind (a ConfigMap beside the Secrets) are skipped; at least one must be a
Secret. Beyond what deserialisation checks (types of every field), it refuses what the API
server would refuse: a wrong apiVersion, a field V1Secret does not have, a missing name, and a
`data` value that is not standard base64. Prints one line per Secret (its name and its data
and stringData keys, never a value); exits 1 on the first invalid one.

    sops decrypt secret.yaml | python3 validate-secret.py
"""
import base64
import binascii
import json
import sys

import yaml
from kubernetes.client import ApiClient, V1Secret


def deserialize(doc):
    """The client's own response deserialiser (its signature changed in client 35)."""
    client = ApiClient()
    text = json.dumps(doc)
    try:
        return client.deserialize(text, "V1Secret", "application/json")
    except TypeError:

        class Response:
            data = text

        return client.deserialize(Response(), "V1Secret")


def fail(msg):
    print(f"invalid Secret: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    docs = [d for d in yaml.safe_load_all(sys.stdin) if d is not None]
    if not docs:
        fail("no document")
    allowed = set(V1Secret.attribute_map.values())
    if not any(isinstance(d, dict) and d.get("kind") == "Secret" for d in docs):
        fail("no document is a kind: Secret")
    for doc in docs:
        if not isinstance(doc, dict):
            fail("a document is not a mapping")
        if doc.get("kind") != "Secret":
            # Another object of a multi-document file: not this validator's business.
            print(f"skipped {doc.get('kind')}")
            continue
        extra = set(doc) - allowed
        if extra:
            fail(f"fields V1Secret does not have: {sorted(extra)}")
        try:
            secret = deserialize(doc)
        except Exception as e:  # pydantic's ValidationError or the client's own
            # Only where and what kind of error: the input value may be a secret.
            errors = getattr(e, "errors", None)
            where = [f"{'.'.join(map(str, x['loc']))}: {x['type']}" for x in errors()] if errors else []
            fail(f"does not deserialise into V1Secret ({type(e).__name__}) {where}")
        if secret.api_version != "v1" or secret.kind != "Secret":
            fail(f"apiVersion/kind is {secret.api_version}/{secret.kind}, not v1/Secret")
        if not secret.metadata or not secret.metadata.name:
            fail("metadata.name is missing")
        for k, v in (secret.data or {}).items():
            try:
                base64.b64decode(v, validate=True)
            except (binascii.Error, TypeError):
                fail(f"data.{k} is not base64")
        for k, v in (secret.string_data or {}).items():
            if not isinstance(v, str):
                fail(f"stringData.{k} is not a string")
        print(
            f"valid Secret {secret.metadata.namespace}/{secret.metadata.name}"
            f" type={secret.type} data={sorted(secret.data or {})}"
            f" stringData={sorted(secret.string_data or {})}"
        )


main()
