#!/usr/bin/env bash
# The lint gate can fail: `ci/lint format` run in a throwaway git tree that
# holds copies of a few of the project's files (its ci/lint, .clang-format,
# a source, a header, a test) exits 0 while they are clean, non-zero naming
# FILE:LINE once one line of a tracked source or header is mis-formatted,
# and 0 again once it is put back. Then the real tree (SOURCE_DIR), when it
# is a git checkout, must be clean too. Skips (77) without git or
# clang-format (ci/setup installs both).
set -euo pipefail
src=${SOURCE_DIR:?SOURCE_DIR must name the source tree}
for tool in git clang-format; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not found (ci/setup installs it)"; exit 77; }
done

fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=(ci/lint .clang-format harness/lab/netlink.cpp src/net/setup_error.h tests/src/test_stun_codec.cpp)
for f in "${files[@]}"; do
  mkdir -p "$tmp/$(dirname "$f")"
  cp "$src/$f" "$tmp/$f"
done
git -C "$tmp" init -q
git -C "$tmp" add -A

# lint: run ci/lint format in the throwaway tree; sets rc and out.
lint() { rc=0; out=$(cd "$tmp" && ci/lint format 2>&1) || rc=$?; }

lint
((rc == 0)) || fail "clean copies: exit $rc: $out"
grep -q "^ci/lint format: 3 files as .clang-format has them" <<<"$out" || fail "clean copies: $out"

# One mis-formatted line at the end of a source.
cp "$tmp/harness/lab/netlink.cpp" "$tmp/netlink.orig"
echo 'int   badly_spaced ;' >>"$tmp/harness/lab/netlink.cpp"
line=$(wc -l <"$tmp/harness/lab/netlink.cpp")
lint
((rc == 1)) || fail "mis-formatted source: exit $rc, not 1: $out"
grep -q "^harness/lab/netlink.cpp:$line:[0-9]*: error" <<<"$out" || fail "no harness/lab/netlink.cpp:$line in: $out"
grep -q "^  harness/lab/netlink.cpp$" <<<"$out" || fail "the file is not listed: $out"
cp "$tmp/netlink.orig" "$tmp/harness/lab/netlink.cpp"
rm "$tmp/netlink.orig"

# A mis-formatted line in a header that git tracks.
sed -i 's/^#pragma once$/#pragma once\nint f( int a );/' "$tmp/src/net/setup_error.h"
lint
((rc == 1)) || fail "mis-formatted header: exit $rc, not 1: $out"
grep -q "^src/net/setup_error.h:[0-9]*:[0-9]*: error" <<<"$out" || fail "header not named: $out"
cp "$src/src/net/setup_error.h" "$tmp/src/net/setup_error.h"

lint
((rc == 0)) || fail "restored copies: exit $rc: $out"

# The real tree, when it is a checkout (a CI container may have none).
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  rc=0
  out=$("$src/ci/lint" format 2>&1) || rc=$?
  ((rc == 0)) || fail "the source tree is not clang-formatted (exit $rc):"$'\n'"$out"
  echo "$out"
else
  echo "note: $src is not a git checkout; only the copies were checked"
fi
echo "lint gate: fails on a mis-formatted line, passes on clean files"
