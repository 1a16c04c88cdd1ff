#!/usr/bin/env bash
# Real Istio on the local cluster: istiod (pilot-discovery, built from source by
# hack/testbin.sh istio) runs as a host process next to kwok's control plane, with Istio's
# minimal profile rendered offline by istioctl. Its webhooks reach it at localhost:15017, so
# the API server (also a host process) calls it directly; kwok's pods run nothing, so only
# istiod itself is needed, not its Deployment.
#
#   hack/istio.sh up | down | status     (CLUSTER_NAME as for hack/cluster.sh)
#   hack/istio.sh revision NAME          a second istiod, of revision NAME (after up)
#   hack/istio.sh tag TAG REVISION       point revision tag TAG at REVISION (istioctl tag set)
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
if [ "${1:-}" = up ] || [ "${1:-}" = revision ] || [ "${1:-}" = tag ]; then
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
  # A second revision's, and the revision tags'.
  kubectl get mutatingwebhookconfigurations,validatingwebhookconfigurations -l 'istio.io/rev,istio.io/rev!=default' -o name 2>/dev/null || true
  kubectl get mutatingwebhookconfigurations -l istio.io/tag -o name 2>/dev/null || true
}

# render writes Istio's manifests in two files: the CRDs, and the rest minus what would run
# istiod in the cluster (its Deployment, Service and autoscaler). With a revision (and the
# port of its istiod's webhooks), that revision's.
render() {
  local revision=${1:-} port=${2:-15017} sets=(--set values.defaultRevision=default)
  [ -n "$revision" ] && sets=(--set revision="$revision")
  "$istio_bin/istioctl" manifest generate --set profile=minimal "${sets[@]}" \
    --set values.istiodRemote.injectionURL=https://localhost:"$port"/inject \
    --set values.base.validationURL=https://localhost:"$port"/validate \
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

running() { [ -f "$state/istiod${1:-}.pid" ] && kill -0 "$(cat "$state/istiod${1:-}.pid")" 2>/dev/null; }

# admits tells whether the injector answers: a server-side dry run of a pod in a namespace
# labelled for injection goes through it.
admits() {
  local labels='{sidecar.istio.io/inject: "true"}'
  [ -n "${1:-}" ] && labels="{sidecar.istio.io/inject: \"true\", istio.io/rev: $1}"
  kubectl create --dry-run=server -o name -n istio-system -f - >/dev/null 2>&1 <<POD
apiVersion: v1
kind: Pod
metadata:
  generateName: istio-probe-
  labels: $labels
spec:
  containers: [{name: probe, image: probe}]
POD
}

# start runs istiod of a revision ("" for the default one) with its ports offset by offset,
# and returns once its injector admits pods.
start() {
  local revision=${1:-} offset=${2:-0} suffix="" name=default webhook=istio-sidecar-injector
  [ -n "$revision" ] && { suffix="-$revision"; name=$revision; webhook="istio-sidecar-injector-$revision"; }
  running "$suffix" && return 0
  local started
  started=$(date +%s.%N)
  mkdir -p "$state/work$suffix"
  # istiod keeps its files relative to the working directory: give it a scratch one.
  (cd "$state/work$suffix" && exec env REVISION="$name" POD_NAMESPACE=istio-system POD_NAME="istiod-local$suffix" \
    SERVICE_ACCOUNT=istiod PILOT_CERT_PROVIDER=istiod ISTIOD_CUSTOM_HOST=localhost,127.0.0.1 \
    CLUSTER_ID=Kubernetes INJECTION_WEBHOOK_CONFIG_NAME="$webhook" \
    ${ISTIOD_ENV:-} \
    "$istio_bin/pilot-discovery" discovery --kubeconfig "$kubeconfig" \
    --httpsAddr=127.0.0.1:$((15017 + offset)) --httpAddr=127.0.0.1:$((18080 + offset)) --grpcAddr=127.0.0.1:$((15010 + offset)) \
    --secureGRPCAddr=127.0.0.1:$((15012 + offset)) --monitoringAddr=127.0.0.1:$((15014 + offset)) --domain cluster.local \
    >"$state/istiod$suffix.log" 2>&1) &
  echo $! >"$state/istiod$suffix.pid"
  for _ in $(seq 1 600); do
    running "$suffix" || { echo "istiod$suffix exited; see $state/istiod$suffix.log" >&2; exit 1; }
    admits "$revision" && break
    sleep 0.1
  done
  admits "$revision" || { echo "istiod$suffix's injector did not answer in 60 s; see $state/istiod$suffix.log" >&2; exit 1; }
  echo "istiod$suffix admits pods $(echo "$(date +%s.%N) - $started" | bc 2>/dev/null || true)s after its start"
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
  start
  echo "istiod is up (log: $state/istiod.log)"
}

# revision installs a second revision of Istio beside the default one: its configuration and
# webhooks, and its istiod on ports 100 above the first's.
revision() {
  local name=${1:?revision name}
  mkdir -p "$state"
  render "$name" 15117
  kubectl apply --server-side --force-conflicts -f "$state/rest.yaml" >/dev/null
  start "$name" 100
  echo "istiod of revision $name is up (log: $state/istiod-$name.log)"
}

# tag points a revision tag at a revision, as an Istio upgrade does.
tag() {
  "$istio_bin/istioctl" tag set "${1:?tag}" --revision "${2:?revision}" --overwrite --skip-confirmation \
    --kubeconfig "$kubeconfig" >/dev/null
  echo "revision tag $1 now points at revision $2"
}

down() {
  # Fail-closed webhooks pointing at a stopped istiod would refuse every pod: remove them first.
  [ -n "$bin" ] && [ -f "$kubeconfig" ] && kubectl delete $(webhooks) --ignore-not-found >/dev/null 2>&1 || true
  for pidfile in "$state"/istiod*.pid; do
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

case "${1:-}" in
  up) up ;;
  revision) revision "${2:-}" ;;
  tag) tag "${2:-}" "${3:-}" ;;
  down) down ;;
  status) if running && admits; then echo "istiod is up"; else echo "istiod is down"; exit 1; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
