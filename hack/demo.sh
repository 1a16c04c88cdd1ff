#!/usr/bin/env bash
# Portico end to end on one machine: a local cluster, the CRD, the operator, a sample
# GatewayDeployment that reaches Ready, and one registered with a local Konnect stand-in.
# MESH=istio adds istiod and a meshed gateway. Safe to run again; `hack/demo.sh down` cleans up.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# The Go toolchain of go.mod's toolchain line (see the Makefile), unless one is chosen.
export GOTOOLCHAIN="${GOTOOLCHAIN:-$(awk '/^toolchain /{print $2}' "$root/go.mod")}"
cd "$root"
state=$root/.cluster/demo
mkdir -p "$state"
log=$state/demo.log
operator_log=$state/operator.log
pidfile=$state/operator.pid
sample=config/samples/gateway_v1alpha1_gatewaydeployment.yaml
bookinfo=config/samples/bookinfo/bookinfo.yaml
steps=10
[ "${MESH:-}" = istio ] && steps=12
step=0
current_log=$log

run() { # run <description> <log> <command...>: one progress line, output to the log
  local what=$1 out=$2; shift 2
  step=$((step + 1))
  current_log=$out
  printf '[%d/%d] %s\n' "$step" "$steps" "$what"
  "$@" >>"$out" 2>&1
}
trap 'echo "step $step failed; read $current_log" >&2' ERR

konnect_pidfile=$state/konnect.pid
konnect_log=$state/konnect.log
konnect_ca=$state/konnect-ca.pem

stop_pid() { # stop_pid <pidfile>
  if [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; then
    kill "$(cat "$1")" && sleep 1
  fi
  rm -f "$1"
}
stop_operator() { stop_pid "$pidfile"; stop_pid "$konnect_pidfile"; }

if [ "${1:-}" = down ]; then
  stop_operator
  hack/istio.sh down >/dev/null 2>&1 || true
  hack/cluster.sh down >/dev/null 2>&1 || true
  rm -rf "$root/.cluster"
  echo "demo removed"
  exit 0
fi

: >"$log"
# The operator and the Konnect stand-in build in one go build, in the background from the
# start: on a cold machine it fills the time the control plane's build spends downloading
# modules and linking. The steps that run them wait for it.
build_log=$state/build.log
rm -rf "$state/bin"
(go build -o "$state/bin/" ./cmd ./hack/konnect-server >"$build_log" 2>&1 && mv "$state/bin/cmd" "$state/bin/manager") &
build_pid=$!
built() {
  wait "$build_pid" 2>/dev/null || { [ -x "$state/bin/manager" ] && [ -x "$state/bin/konnect-server" ]; } ||
    { echo "building the operator failed; see $build_log"; return 1; }
}

# The build reports its own progress (what, how long so far) on the terminal; go's output goes
# to the log it names.
step=$((step + 1))
printf '[%d/%d] %s\n' "$step" "$steps" "The control plane: etcd, Kubernetes and kwok (built once, then cached)"
bin=$(hack/testbin.sh cluster)
export KUBECONFIG
KUBECONFIG=$(hack/cluster.sh kubeconfig)
kubectl() { "$bin/kubectl" "$@"; }


run "Starting the local cluster" "$log" hack/cluster.sh up
if [ "${MESH:-}" = istio ]; then
  step=$((step + 1))
  printf '[%d/%d] %s\n' "$step" "$steps" "Starting istiod (built from source the first time; log under .cluster/)"
  hack/testbin.sh istio >/dev/null
  hack/istio.sh up >>"$log" 2>&1
fi
install_crd() { # the committed CRD: the demo builds no code generator
  kubectl apply --server-side --force-conflicts -f config/crd/bases
  for _ in $(seq 1 100); do
    [ "$(kubectl get crd gatewaydeployments.gateway.portico.dev -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" = True ] && return 0
    sleep 0.2
  done
  echo "the CRD was not established in 20 s"
  return 1
}
run "Installing the GatewayDeployment CRD" "$log" install_crd

start_konnect() {
  stop_pid "$konnect_pidfile"
  built
  rm -f "$konnect_ca"
  nohup "$state/bin/konnect-server" --token kpat_demo-not-a-real-token --control-plane-name demo \
    --ca-out "$konnect_ca" --kubeconfig "$KUBECONFIG" >"$konnect_log" 2>&1 &
  echo $! >"$konnect_pidfile"
  for _ in $(seq 1 50); do
    [ -s "$konnect_ca" ] && return 0
    sleep 0.2
  done
  echo "the Konnect test server did not start; see $konnect_log"
  return 1
}
run "Starting a local Konnect stand-in (log: $konnect_log)" "$log" start_konnect

start_operator() {
  stop_pid "$pidfile"
  built
  # The operator keeps running after the demo, so you can try things; `make demo-down` stops it.
  # It trusts the Konnect stand-in's certificate (and only that: SSL_CERT_FILE replaces the roots).
  SSL_CERT_FILE=$konnect_ca nohup "$state/bin/manager" --health-probe-bind-address=127.0.0.1:18081 --konnect-api-hosts=127.0.0.1 >"$operator_log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 50); do
    curl -fsS http://127.0.0.1:18081/readyz >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { echo "the operator exited; see $operator_log"; return 1; }
    sleep 0.2
  done
  echo "the operator did not become ready; see $operator_log"
  return 1
}
run "Starting the operator (log: $operator_log)" "$log" start_operator
run "Applying the sample GatewayDeployment ($sample)" "$log" kubectl apply -f "$sample"
run "Waiting for gwd/edge to be Ready" "$log" kubectl wait --for=condition=Ready gwd/edge --timeout=120s
run "Routes without Konnect: bookinfo's routes from a ConfigMap ($bookinfo), waiting for Ready" "$log" \
  sh -c "'$bin/kubectl' apply -f $bookinfo && '$bin/kubectl' wait --for=condition=Ready gwd/bookinfo --timeout=120s"
run "Registering gwd/hybrid with the Konnect stand-in (hack/konnect-server/demo-gateway.yaml)" "$log" \
  kubectl apply -f hack/konnect-server/demo-gateway.yaml
run "Waiting for gwd/hybrid to be Ready and connected" "$log" \
  kubectl wait --for=condition=KonnectConnected gwd/hybrid --timeout=120s
if [ "${MESH:-}" = istio ]; then
  run "Applying a meshed gateway (hack/istio-demo-gateway.yaml) and waiting for MeshReady" "$log" \
    sh -c "'$bin/kubectl' apply -f hack/istio-demo-gateway.yaml && '$bin/kubectl' wait --for=condition=MeshReady gwd/meshed --timeout=120s"
fi

echo
kubectl get gwd -o wide
echo
kubectl get deployments,services,pods -l app.kubernetes.io/managed-by=portico
echo
kubectl get gwd hybrid -o jsonpath='{range .status.conditions[?(@.type=="KonnectRegistered")]}KonnectRegistered: {.message}{"\n"}{end}{range .status.conditions[?(@.type=="KonnectConnected")]}KonnectConnected: {.message}{"\n"}{end}'
echo
if [ "${MESH:-}" = istio ]; then
  kubectl get pods -l gateway.portico.dev/gatewaydeployment=meshed \
    -o custom-columns='POD:.metadata.name,INIT:.spec.initContainers[*].name,CONTAINERS:.spec.containers[*].name'
  kubectl get destinationrules,peerauthentications
  echo
fi
echo "Try: KUBECONFIG=$KUBECONFIG $bin/kubectl scale gwd/edge --replicas=4"
echo "Clean up: make demo-down"
