#!/usr/bin/env bash
# Download the Iceberg jars Spark needs into <cache>/jars/ and print them as a
# comma-separated list (the format of spark.jars):
#   iceberg-spark-runtime-3.5_2.12  - SparkCatalog, SQL extensions, procedures
#   iceberg-aws-bundle              - S3FileIO and the AWS SDK it needs
#
# Jars are fetched with Maven from Maven Central (the only JVM repository we
# can reach) rather than with spark.jars.packages, because Spark's Ivy
# resolution runs on every session start and is slow; a plain file list is
# instant once cached. Version: ICEBERG_JAVA_VERSION (default in lib.sh).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

version="$ICEBERG_JAVA_VERSION"
jardir="$(te_cache_dir)/jars"
artifacts=(
  "iceberg-spark-runtime-3.5_2.12"
  "iceberg-aws-bundle"
)

jar_path() { printf '%s/%s-%s.jar\n' "$jardir" "$1" "$version"; }

fetch_missing() {
  local a dest
  mkdir -p "$jardir"
  for a in "${artifacts[@]}"; do
    dest="$(jar_path "$a")"
    [[ -s "$dest" ]] && continue
    te_ensure_maven
    te_log "fetching org.apache.iceberg:$a:$version"
    # Copy into a temp dir first so a half-written jar is never mistaken for
    # a finished one by the -s check above. The plugin version is pinned:
    # Maven 3.8's default maven-dependency-plugin is too old for this usage.
    local tmp
    tmp="$(mktemp -d "$jardir/.tmp.XXXXXX")"
    te_quiet te_mvn org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="org.apache.iceberg:$a:$version:jar" \
      -DoutputDirectory="$tmp" -Dmdep.overWriteReleases=true ||
      { rm -rf "$tmp"; te_die "could not fetch org.apache.iceberg:$a:$version from Maven Central"; }
    mv "$tmp/$a-$version.jar" "$dest"
    rm -rf "$tmp"
  done
}

need_fetch=0
for a in "${artifacts[@]}"; do
  [[ -s "$(jar_path "$a")" ]] || need_fetch=1
done
if [[ $need_fetch -eq 1 ]]; then
  # Maven needs to run from a directory without a pom.xml, or it would try
  # to build that project; the cache dir has none.
  (cd "$(te_cache_dir)" && te_with_lock jars fetch_missing)
fi

paths=()
for a in "${artifacts[@]}"; do
  paths+=("$(jar_path "$a")")
done
(
  IFS=,
  printf '%s\n' "${paths[*]}"
)
