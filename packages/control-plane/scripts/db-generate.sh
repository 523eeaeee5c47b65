#!/usr/bin/env bash
# Generates a migration from src/db/schema with drizzle-kit. npm keeps drizzle-orm nested in this
# workspace (an optional peer of it conflicts with tap's react at the root), while drizzle-kit is
# hoisted and imports drizzle-orm from the root; a link for the duration of the run bridges that.
set -euo pipefail
pkg=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$pkg/../.." && pwd)
link="$root/node_modules/drizzle-orm"
made_link=
if [ ! -e "$link" ]; then
  ln -s "$pkg/node_modules/drizzle-orm" "$link"
  made_link=1
fi
cleanup() { if [ -n "$made_link" ]; then rm -f "$link"; fi; }
trap cleanup EXIT
cd "$pkg"
npx drizzle-kit generate "$@"
