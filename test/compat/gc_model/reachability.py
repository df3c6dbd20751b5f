"""Which files the live catalog reaches, computed without the catalog's object index.

For every live table (loaded over REST) and every restorable dropped table (its metadata file
read from storage): the current metadata file, the ones in its metadata log, its statistics
files, and for each retained snapshot the manifest list, its manifests and the data and
delete files of their live (ADDED or EXISTING) entries, all read with PyIceberg. Objects are
immutable, so what a manifest list or manifest names is cached by path.
"""

from __future__ import annotations

import os
import posixpath
from typing import Iterable

from pyiceberg.io import FileIO
from pyiceberg.manifest import ManifestFile
from pyiceberg.serializers import FromInputFile
from pyiceberg.table.metadata import TableMetadata


def canonical(uri: str) -> str:
    """The spelling the storage listing uses: file:///x with the path resolved as the local
    filesystem resolves it (`/./`, `//`, `a/../`), and s3:// with the key as written (S3 keeps
    `a//b` and `a/b` apart). Written here independently of the catalog's own rule."""
    if uri.startswith("s3a://") or uri.startswith("s3n://"):
        return "s3://" + uri[len("s3a://") :]
    if uri.startswith("file://localhost/"):
        uri = "file://" + uri[len("file://localhost") :]
    if uri.startswith("file://"):
        path = uri[len("file://") :]
    elif uri.startswith("file:/"):
        path = uri[len("file:") :]
    elif uri.startswith("/"):
        path = uri
    else:
        return uri
    # normpath keeps a leading "//" (POSIX leaves it implementation-defined); Linux does not.
    return "file:///" + posixpath.normpath(path).lstrip("/")


class Reachability:
    def __init__(self, io: FileIO) -> None:
        self.io = io
        self._manifest_lists: dict[str, list[ManifestFile]] = {}
        self._manifest_files: dict[str, list[str]] = {}

    def metadata(self, location: str) -> TableMetadata:
        return FromInputFile.table_metadata(self.io.new_input(location))

    def files_of(self, metadata_location: str, metadata: TableMetadata | None = None) -> set[str]:
        metadata = metadata or self.metadata(metadata_location)
        files = {canonical(metadata_location)}
        files.update(canonical(entry.metadata_file) for entry in metadata.metadata_log)
        for stats in list(getattr(metadata, "statistics", []) or []) + list(getattr(metadata, "partition_statistics", []) or []):
            files.add(canonical(stats.statistics_path))
        for snapshot in metadata.snapshots:
            if not snapshot.manifest_list:
                continue
            files.add(canonical(snapshot.manifest_list))
            for manifest in self._manifests(snapshot.manifest_list):
                files.add(canonical(manifest.manifest_path))
                files.update(self._live_entries(manifest))
        return files

    def _manifests(self, manifest_list: str) -> list[ManifestFile]:
        if manifest_list not in self._manifest_lists:
            from pyiceberg.manifest import read_manifest_list

            self._manifest_lists[manifest_list] = list(read_manifest_list(self.io.new_input(manifest_list)))
        return self._manifest_lists[manifest_list]

    def _live_entries(self, manifest: ManifestFile) -> list[str]:
        path = manifest.manifest_path
        if path not in self._manifest_files:
            entries = manifest.fetch_manifest_entry(self.io, discard_deleted=True)
            self._manifest_files[path] = [canonical(e.data_file.file_path) for e in entries]
        return self._manifest_files[path]


def local_files(root_dir: str) -> set[str]:
    found: set[str] = set()
    for directory, _, names in os.walk(root_dir):
        for name in names:
            found.add("file://" + os.path.join(directory, name))
    return found


def s3_files(client, bucket: str, prefix: str) -> set[str]:  # type: ignore[no-untyped-def]
    found: set[str] = set()
    token = None
    while True:
        kwargs = {"Bucket": bucket, "Prefix": prefix}
        if token:
            kwargs["ContinuationToken"] = token
        page = client.list_objects_v2(**kwargs)
        for obj in page.get("Contents", []):
            found.add(f"s3://{bucket}/{obj['Key']}")
        if not page.get("IsTruncated"):
            return found
        token = page["NextContinuationToken"]


def union(sets: Iterable[set[str]]) -> set[str]:
    out: set[str] = set()
    for s in sets:
        out |= s
    return out
