#!/usr/bin/env bash
# A local Kubernetes cluster with no Docker and no cloud: kwok's binary runtime running
# Kubernetes' own etcd, kube-apiserver, kube-controller-manager and kube-scheduler (built from
# source by hack/testbin.sh) with fake nodes, so Deployments really roll out and pods go Ready.
#
#   hack/cluster.sh up | down | kubeconfig | status
#
# State lives under .cluster/ in the checkout (git-ignored); ~/.kube/config is never touched.
# CLUSTER_NAME picks the cluster (default portico; the e2e suite uses its own), CLUSTER_NODES
# the number of fake nodes; CLUSTER_EXTRA_ARGS and CLUSTER_NODE_ARGS pass extra flags to
# kwokctl's create and node scaling (the benchmark widens CIDRs and node capacity).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# The Go toolchain of go.mod's toolchain line (see the Makefile), unless one is chosen.
export GOTOOLCHAIN="${GOTOOLCHAIN:-$(awk '/^toolchain /{print $2}' "$root/go.mod")}"
export KWOK_WORKDIR=${PORTICO_CLUSTER_DIR:-$root/.cluster}
name=${CLUSTER_NAME:-portico}
nodes=${CLUSTER_NODES:-3}
kubeconfig="$KWOK_WORKDIR/clusters/$name/kubeconfig.yaml"
# kwokctl delete insists on a kubeconfig to remove its context from: give it a scratch one.
scratch_kubeconfig="$KWOK_WORKDIR/scratch-kubeconfig.yaml"
kwokctl_log="$KWOK_WORKDIR/kwokctl-$name.log"

# Only `up` builds: a teardown uses what is built (a cluster cannot exist without it).
if [ "${1:-}" = up ]; then
  bin=$("$root/hack/testbin.sh" cluster)
else
  bin=$("$root/hack/testbin.sh" --cached cluster 2>/dev/null) || bin=""
fi
kwokctl() { "$bin/kwokctl" --name "$name" "$@"; }
kubectl() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }

# kwokctl's configuration: kwok's own default node and pod stages (from its module, at the
# pinned version) plus Portico's failure simulations. Giving any Stage replaces kwok's
# defaults, hence all of them here.
write_config() {
  local kwok_dir config=$KWOK_WORKDIR/kwokctl.yaml
  kwok_dir=$(cd "$root/hack/tools/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  mkdir -p "$KWOK_WORKDIR"
  : > "$config"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    { echo "---"; cat "$kwok_dir/kustomize/stage/$f"; } >> "$config"
  done
  { echo "---"; cat "$root/hack/kwok/stages.yaml"; } >> "$config"
  echo "$config"
}

delete_cluster() {
  mkdir -p "$KWOK_WORKDIR"
  touch "$scratch_kubeconfig"
  if [ -n "$bin" ]; then kwokctl delete cluster --kubeconfig "$scratch_kubeconfig" >"$kwokctl_log" 2>&1 || cat "$kwokctl_log" >&2; fi
  # Its processes take a moment to exit; a new cluster may want the same ports.
  for _ in $(seq 1 100); do
    pgrep -f "$KWOK_WORKDIR/clusters/$name/" >/dev/null || return 0
    sleep 0.1
  done
  pkill -9 -f "$KWOK_WORKDIR/clusters/$name/" || true
}

healthy() { [ -f "$kubeconfig" ] && kubectl get --raw /readyz >/dev/null 2>&1; }

up() {
  if healthy; then
    echo "cluster $name is already up"
  else
    # A stopped or half-created cluster: start over.
    delete_cluster >/dev/null 2>&1 || true
    local version
    version=$("$bin/kube-apiserver" --version | awk '{print $2}')
    local config
    config=$(write_config)
    # kwokctl looks for kubectl on PATH before it would download one.
    # kwokctl logs in JSON: into a file, shown when it fails.
    PATH="$bin:$PATH" KWOK_KUBE_VERSION=$version kwokctl --config "$config" create cluster \
      --runtime binary \
      --kubeconfig "" \
      --etcd-binary "$bin/etcd" \
      --kube-apiserver-binary "$bin/kube-apiserver" \
      --kube-controller-manager-binary "$bin/kube-controller-manager" \
      --kube-scheduler-binary "$bin/kube-scheduler" \
      --kwok-controller-binary "$bin/kwok" \
      --disable-qps-limits \
      --wait 2m \
      ${CLUSTER_EXTRA_ARGS:-} >"$kwokctl_log" 2>&1 || { cat "$kwokctl_log" >&2; exit 1; }
  fi
  local have
  have=$(kubectl get nodes --no-headers 2>/dev/null | wc -l)
  if [ "$have" -lt "$nodes" ]; then
    # shellcheck disable=SC2086 # CLUSTER_NODE_ARGS holds several --param flags
    kwokctl scale node --replicas "$nodes" ${CLUSTER_NODE_ARGS:-} >>"$kwokctl_log" 2>&1 || { cat "$kwokctl_log" >&2; exit 1; }
  fi
  kubectl wait --for=condition=Ready nodes --all --timeout=120s >/dev/null
  echo "cluster $name is up: $nodes nodes; KUBECONFIG=$kubeconfig"
}

case "${1:-}" in
  up) up ;;
  down)
    delete_cluster
    # The cluster's own state (istiod's and OLM's too, stopped before); the suites' operator
    # logs beside it stay, for reading a failure.
    rm -rf "${KWOK_WORKDIR:?}/clusters/$name" "$kwokctl_log" "$scratch_kubeconfig"
    rmdir "$KWOK_WORKDIR/clusters" 2>/dev/null || true
    ;;
  kubeconfig) echo "$kubeconfig" ;;
  status) if [ -n "$bin" ] && healthy; then kubectl get nodes; else echo "cluster $name is down"; exit 1; fi ;;
  *) echo "usage: $0 up|down|kubeconfig|status" >&2; exit 2 ;;
esac
