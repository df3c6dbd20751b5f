#!/usr/bin/env bash
# Make sure PostgreSQL server binaries (initdb, pg_ctl, postgres) are
# installed, and print the directory that holds them.
#
# We use the real binaries under /usr/lib/postgresql/<version>/bin rather than
# whatever is on PATH: Debian only puts wrapper scripts (pg_wrapper) or, on
# some images, hand-made symlinks in /usr/bin or /usr/local/bin, and the
# wrappers insist on Debian's cluster layout (/etc/postgresql/...), which a
# throwaway test cluster doesn't have.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

find_pg_bindir() {
  local dir best=""
  # Pick the highest major version installed (version sort, not lexical,
  # so 15 beats 9.6).
  for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then
      best="$dir"
    fi
  done
  [[ -n "$best" ]] && printf '%s\n' "$best"
}

if ! bindir="$(find_pg_bindir)"; then
  # Debian's postinst creates and tries to start a "main" cluster on 5432. In
  # containers /usr/sbin/policy-rc.d normally forbids starting services, so it
  # only gets created; that is harmless for us either way.
  te_with_lock apt te_apt_install postgresql
  bindir="$(find_pg_bindir)" ||
    te_die "postgresql installed but no initdb/pg_ctl/postgres under /usr/lib/postgresql/*/bin"
fi

printf '%s\n' "$bindir"
