#!/usr/bin/env bash
# nat-lab runs without root where unprivileged user namespaces are allowed.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || { echo "not root: already unprivileged"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "no user 'nobody'"; exit 77; }
if ! su nobody -s /bin/sh -c 'unshare --user --map-root-user --net true' 2>/dev/null; then
  echo "unprivileged user namespaces are not allowed here"
  exit 77
fi
out=$(scratch_dir)
chmod 755 "$out"
trap 'rm -rf "$out"' EXIT
cat >"$out/plain.yaml" <<'YAML'
name: plain
hosts:
  a:
    run: ping -c 2 -i 0.2 ${b}
  b:
    run: sleep 10
expect:
  - exit: a
YAML
chown nobody "$out"
su nobody -s /bin/sh -c "cd '$out' && '$NATLAB' run '$out/plain.yaml' --out '$out/run'" || fail "unprivileged run failed"
[[ $(stat -c %U "$out/run/internet.a.pcap") == nobody ]] || fail "capture not owned by the caller"
