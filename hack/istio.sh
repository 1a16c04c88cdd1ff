#!/usr/bin/env bash
# Real Istio on the local cluster: istiod (pilot-discovery, built from source by
# hack/testbin.sh istio) runs as a host process next to kwok's control plane, with Istio's
# minimal profile rendered offline by istioctl. Its webhooks reach it at localhost:15017, so
# the API server (also a host process) calls it directly; kwok's pods run nothing, so only
# istiod itself is needed, not its Deployment.
#
#   hack/istio.sh up | down | status     (CLUSTER_NAME as for hack/cluster.sh)
#
# The injector fails closed: `up` returns only once a pod can be admitted, and `down` removes
# the webhook configurations before it stops istiod.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# The Go toolchain of go.mod's toolchain line (see the Makefile), unless one is chosen.
export GOTOOLCHAIN="${GOTOOLCHAIN:-$(awk '/^toolchain /{print $2}' "$root/go.mod")}"
workdir=${PORTICO_CLUSTER_DIR:-$root/.cluster}
name=${CLUSTER_NAME:-portico}
kubeconfig="$workdir/clusters/$name/kubeconfig.yaml"
state="$workdir/clusters/$name/istio"
# Only `up` builds: a teardown uses what is built, and there is nothing to tear down without it.
if [ "${1:-}" = up ]; then
  bin=$("$root/hack/testbin.sh" cluster)
  istio_bin=$("$root/hack/testbin.sh" istio)
else
  bin=$("$root/hack/testbin.sh" --cached cluster 2>/dev/null) || bin=""
fi
kubectl() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }

webhooks() {
  echo mutatingwebhookconfiguration/istio-sidecar-injector
  echo validatingwebhookconfiguration/istio-validator-istio-system
  echo validatingwebhookconfiguration/istiod-default-validator
}

# render writes Istio's manifests in two files: the CRDs, and the rest minus what would run
# istiod in the cluster (its Deployment, Service and autoscaler).
render() {
  "$istio_bin/istioctl" manifest generate --set profile=minimal \
    --set values.defaultRevision=default \
    --set values.istiodRemote.injectionURL=https://localhost:15017/inject \
    --set values.base.validationURL=https://localhost:15017/validate \
    ${ISTIO_SET:-} >"$state/manifest.yaml"
  awk -v crds="$state/crds.yaml" -v rest="$state/rest.yaml" '
    function flush() {
      if (doc == "") return
      if (kind == "CustomResourceDefinition") print "---\n" doc > crds
      else if (kind != "Deployment" && kind != "Service" && kind != "HorizontalPodAutoscaler") print "---\n" doc > rest
      doc = ""; kind = ""
    }
    /^---/ { flush(); next }
    /^kind: / && kind == "" { kind = $2 }
    { doc = doc $0 "\n" }
    END { flush() }
  ' "$state/manifest.yaml"
}

running() { [ -f "$state/istiod.pid" ] && kill -0 "$(cat "$state/istiod.pid")" 2>/dev/null; }

# admits tells whether the injector answers: a server-side dry run of a pod in a namespace
# labelled for injection goes through it.
admits() {
  kubectl create --dry-run=server -o name -n istio-system -f - >/dev/null 2>&1 <<'POD'
apiVersion: v1
kind: Pod
metadata:
  generateName: istio-probe-
  labels: {sidecar.istio.io/inject: "true"}
spec:
  containers: [{name: probe, image: probe}]
POD
}

up() {
  mkdir -p "$state"
  render
  kubectl apply --server-side --force-conflicts -f "$state/crds.yaml" >/dev/null
  # kubectl wait fails outright, rather than waits, while a new CRD has no conditions yet:
  # ask again, for about a minute in all.
  local tries=0
  until kubectl wait --for=condition=Established -f "$state/crds.yaml" --timeout=2s >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge 20 ]; then
      echo "Istio's CRDs are not established after a minute" >&2
      exit 1
    fi
    sleep 1
  done
  kubectl create namespace istio-system --dry-run=client -o yaml | kubectl apply --server-side -f - >/dev/null
  kubectl apply --server-side --force-conflicts -f "$state/rest.yaml" >/dev/null
  if ! running; then
    local started
    started=$(date +%s.%N)
    mkdir -p "$state/work"
    # istiod keeps its files relative to the working directory: give it a scratch one.
    (cd "$state/work" && exec env REVISION=default POD_NAMESPACE=istio-system POD_NAME=istiod-local \
      SERVICE_ACCOUNT=istiod PILOT_CERT_PROVIDER=istiod ISTIOD_CUSTOM_HOST=localhost,127.0.0.1 \
      CLUSTER_ID=Kubernetes INJECTION_WEBHOOK_CONFIG_NAME=istio-sidecar-injector \
      ${ISTIOD_ENV:-} \
      "$istio_bin/pilot-discovery" discovery --kubeconfig "$kubeconfig" \
      --httpsAddr=127.0.0.1:15017 --httpAddr=127.0.0.1:18080 --grpcAddr=127.0.0.1:15010 \
      --secureGRPCAddr=127.0.0.1:15012 --monitoringAddr=127.0.0.1:15014 --domain cluster.local \
      >"$state/istiod.log" 2>&1) &
    echo $! >"$state/istiod.pid"
    for _ in $(seq 1 600); do
      running || { echo "istiod exited; see $state/istiod.log" >&2; exit 1; }
      admits && break
      sleep 0.1
    done
    admits || { echo "istiod's injector did not answer in 60 s; see $state/istiod.log" >&2; exit 1; }
    echo "istiod admits pods $(echo "$(date +%s.%N) - $started" | bc 2>/dev/null || true)s after its start"
  fi
  echo "istiod is up (log: $state/istiod.log)"
}

down() {
  # Fail-closed webhooks pointing at a stopped istiod would refuse every pod: remove them first.
  [ -n "$bin" ] && [ -f "$kubeconfig" ] && kubectl delete $(webhooks) --ignore-not-found >/dev/null 2>&1 || true
  if running; then
    kill "$(cat "$state/istiod.pid")"
    for _ in $(seq 1 50); do running || break; sleep 0.1; done
    running && kill -9 "$(cat "$state/istiod.pid")" || true
  fi
  rm -f "$state/istiod.pid"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) if running && admits; then echo "istiod is up"; else echo "istiod is down"; exit 1; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
