#!/usr/bin/env bash
# Runs one end-to-end suite on a fresh local cluster of its own, and removes the cluster (and
# istiod or OLM) after it, unless KEEP_CLUSTER=1 keeps it for inspection.
#
#   hack/e2e.sh plain|istio|olm        (TESTFLAGS: extra go test flags)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# The Go toolchain of go.mod's toolchain line (see the Makefile), unless one is chosen.
export GOTOOLCHAIN="${GOTOOLCHAIN:-$(awk '/^toolchain /{print $2}' "$root/go.mod")}"
cd "$root"
suite=${1:-}
case "$suite" in
  plain) export CLUSTER_NAME=portico-e2e; pkg=./test/e2e; extra= ;;
  istio) export CLUSTER_NAME=portico-istio; pkg=./test/e2e/istio; extra=istio ;;
  olm) export CLUSTER_NAME=portico-olm; pkg=./test/e2e/olm; extra=olm ;;
  *) echo "usage: $0 plain|istio|olm" >&2; exit 2 ;;
esac

teardown() {
  [ -n "$extra" ] && hack/$extra.sh down
  hack/cluster.sh down >/dev/null
}

# Build before starting anything, so that a cold build is not mistaken for a slow cluster.
PORTICO_BIN_DIR=$(hack/testbin.sh cluster)
export PORTICO_BIN_DIR
[ "$extra" = olm ] && { PORTICO_OLM_BIN_DIR=$(hack/testbin.sh olm); export PORTICO_OLM_BIN_DIR; }
[ "$extra" = istio ] && hack/testbin.sh istio >/dev/null
teardown
hack/cluster.sh up
# istio's suite installs istiod itself (Istio arriving late is one of its scenarios).
[ "$extra" = olm ] && hack/olm.sh up
KUBECONFIG=$(hack/cluster.sh kubeconfig)
export KUBECONFIG

rc=0
if [ "$suite" = plain ]; then
  # shellcheck disable=SC2086 # TESTFLAGS holds several flags
  go test "$pkg" -count=1 -timeout 20m ${TESTFLAGS:-} || rc=$?
else
  # Verbose, for the figures the suites log, without the operators' own lines.
  set +e
  # shellcheck disable=SC2086
  go test "$pkg" -count=1 -timeout 30m -v ${TESTFLAGS:-} 2>&1 | grep -Ev '^(=== (RUN|PAUSE|CONT)|\{"level")'
  rc=${PIPESTATUS[0]}
  set -e
fi

if [ "${KEEP_CLUSTER:-}" = 1 ]; then
  echo "KEEP_CLUSTER=1: cluster $CLUSTER_NAME kept; KUBECONFIG=$KUBECONFIG; remove it with CLUSTER_NAME=$CLUSTER_NAME make cluster-down"
else
  teardown
  [ "$rc" = 0 ] || echo "the $suite e2e suite failed; to keep its cluster for inspection, run it again with KEEP_CLUSTER=1" >&2
fi
exit "$rc"
