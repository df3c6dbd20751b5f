"""The model's add_files step: one data file in two tables, named by each its own way.

A parquet file without field ids (what add_files takes) is written under the source table's
data folder and added to the source with PyIceberg's add_files, then to another live table
under a second spelling of the same file: `/./` or `//` in a local path, which the filesystem
resolves to the same file (on S3 the key is used as written, since S3 keeps those apart). The
collector must count both names as one object: dropping and purging either table may never
delete the file while the other still names it.
"""

from __future__ import annotations

import uuid

import pyarrow as pa
import pyarrow.parquet as pq


def respell(path: str, location: str, rng) -> str:  # type: ignore[no-untyped-def]
    if not path.startswith("file:") or rng.random() < 0.2:
        return path
    rest = path[len(location) :]
    return location + rng.choice(["/.", "/./.", "/"]) + rest if rng.random() < 0.5 else location + rest.replace("/data/", "/data//", 1)


def add_files(scenario) -> None:  # type: ignore[no-untyped-def]
    source_key = scenario.pick_live()
    targets = [k for k in scenario.live if k != source_key]
    if source_key is None or not targets:
        return scenario.step_create()
    target_key = scenario.rng.choice(sorted(targets))
    source = scenario.table(source_key)
    data = scenario.rows(scenario.rng.randint(1, 3))
    path = f"{source.metadata.location}/data/added-{uuid.uuid4().hex}.parquet"
    sink = pa.BufferOutputStream()
    pq.write_table(data, sink)
    with source.io.new_output(path).create() as out:
        out.write(sink.getvalue().to_pybytes())
    ids = data["id"].to_pylist()
    source.add_files([path])
    scenario.live[source_key].rows += ids
    scenario.table(target_key).add_files([respell(path, source.metadata.location, scenario.rng)])
    scenario.live[target_key].rows += ids
