#!/usr/bin/env bash
# Real Operator Lifecycle Manager (v0) on the local cluster: OLM's olm and catalog operators,
# built from source by hack/testbin.sh olm, run as host processes next to kwok's control plane,
# with OLM's CRDs from operator-framework/api and OpenShift's Proxy and APIServer CRDs from
# openshift/api (so that OLM injects a cluster proxy, as on OpenShift). kwok's pods run
# nothing, so OLM's own Deployments are not needed; catalogs are served by `opm serve` on the
# host and reached through a CatalogSource's spec.address (no registry pod).
#
#   hack/olm.sh up | down | status     (CLUSTER_NAME as for hack/cluster.sh)
#
# OLM runs in namespace olm; operators install into namespaces of their own.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# The Go toolchain of go.mod's toolchain line (see the Makefile), unless one is chosen.
export GOTOOLCHAIN="${GOTOOLCHAIN:-$(awk '/^toolchain /{print $2}' "$root/go.mod")}"
workdir=${PORTICO_CLUSTER_DIR:-$root/.cluster}
name=${CLUSTER_NAME:-portico}
kubeconfig="$workdir/clusters/$name/kubeconfig.yaml"
state="$workdir/clusters/$name/olm"
namespace=olm

running() { [ -f "$state/$1.pid" ] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }

stop() {
  local what=$1
  if running "$what"; then
    kill "$(cat "$state/$what.pid")"
    for _ in $(seq 1 50); do running "$what" || break; sleep 0.1; done
    running "$what" && kill -9 "$(cat "$state/$what.pid")" || true
  fi
  rm -f "$state/$what.pid"
}

# install_crds <what> <file>...: apply the CRDs and wait until they are served. kubectl wait
# fails outright, rather than waits, while a new CRD has no conditions yet: ask again, for
# about a minute in all.
install_crds() {
  local what=$1 files=() tries=0; shift
  for f in "$@"; do files+=(-f "$f"); done
  kubectl apply --server-side --force-conflicts "${files[@]}" >/dev/null
  until kubectl wait --for=condition=Established "${files[@]}" --timeout=2s >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 30 ] || { echo "$what are not established after a minute" >&2; exit 1; }
    sleep 1
  done
}

up() {
  local bin olm_bin
  bin=$("$root/hack/testbin.sh" cluster)
  olm_bin=$("$root/hack/testbin.sh" olm)
  kubectl() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }
  mkdir -p "$state"
  local api_dir openshift_crds
  api_dir=$(cd "$root/hack/tools/olm" && go list -m -f '{{.Dir}}' github.com/operator-framework/api)
  install_crds "OLM's CRDs" "$api_dir/crds"/*.yaml
  # OpenShift's cluster-wide configuration API (config.openshift.io), as OpenShift serves it:
  # with it, OLM injects the cluster's Proxy into the operators it installs. Only the kinds OLM
  # reads: Proxy, and APIServer for its own TLS settings.
  openshift_crds=$(cd "$root/hack/tools/olm" && go list -m -f '{{.Dir}}' github.com/openshift/api)/config/v1/zz_generated.crd-manifests
  install_crds "OpenShift's config CRDs" "$openshift_crds/0000_03_config-operator_01_proxies.crd.yaml" \
    "$openshift_crds/0000_10_config-operator_01_apiservers-Default.crd.yaml"
  kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply --server-side -f - >/dev/null
  # As OLM's manifests set them up: the env of its Deployments, and no ClusterOperator status
  # (there is no OpenShift cluster-version operator here).
  if ! running olm; then
    env OPERATOR_NAMESPACE="$namespace" OPERATOR_NAME=olm-operator KUBECONFIG="$kubeconfig" \
      "$olm_bin/olm" --namespace "$namespace" --writeStatusName "" --writePackageServerStatusName "" \
      >"$state/olm.log" 2>&1 &
    echo $! >"$state/olm.pid"
  fi
  if ! running catalog; then
    # catalog's HTTP server would take :8080 too: it starts second and logs that the port is
    # taken, which costs nothing here (no one scrapes it).
    env OPERATOR_NAMESPACE="$namespace" KUBECONFIG="$kubeconfig" \
      "$olm_bin/catalog" --namespace "$namespace" --writeStatusName "" --kubeconfig "$kubeconfig" \
      >"$state/catalog.log" 2>&1 &
    echo $! >"$state/catalog.pid"
  fi
  sleep 1
  running olm || { echo "olm exited; see $state/olm.log" >&2; exit 1; }
  running catalog || { echo "catalog exited; see $state/catalog.log" >&2; exit 1; }
  echo "OLM is up (logs: $state/olm.log, $state/catalog.log; opm: $olm_bin/opm)"
}

case "${1:-}" in
  up) up ;;
  down) stop catalog; stop olm ;;
  status) if running olm && running catalog; then echo "OLM is up"; else echo "OLM is down"; exit 1; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
