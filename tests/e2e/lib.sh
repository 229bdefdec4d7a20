# Shared helpers for the end-to-end checks. Each check runs real nat-lab
# labs; everything they create lives in nat-lab's private namespaces.
set -euo pipefail

NATLAB=${NATLAB:?set NATLAB to the nat-lab binary}
SOURCE_DIR=${SOURCE_DIR:?set SOURCE_DIR to the repository}

fail() { echo "FAIL: $*" >&2; exit 1; }

# What a lab could leave behind in the machine's own namespaces.
machine_state() {
  { ip -o link show | awk -F': ' '{print $2}' | sort
    ip netns list 2>/dev/null | sort
    awk '{print $5}' /proc/self/mountinfo | sort; } | tr '\n' ' '
}

scratch_dir() { mktemp -d "${TMPDIR:-/tmp}/natlab-test.XXXXXX"; }
