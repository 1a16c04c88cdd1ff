#!/usr/bin/env bash
# Portico end to end on one machine: a local cluster, the CRD, the operator, a sample
# GatewayDeployment that reaches Ready. Safe to run again; `hack/demo.sh down` cleans up.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
state=$root/.cluster/demo
mkdir -p "$state"
log=$state/demo.log
operator_log=$state/operator.log
pidfile=$state/operator.pid
sample=config/samples/gateway_v1alpha1_gatewaydeployment.yaml
steps=6
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

stop_operator() {
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")" && sleep 1
  fi
  rm -f "$pidfile"
}

if [ "${1:-}" = down ]; then
  stop_operator
  hack/cluster.sh down >/dev/null 2>&1 || true
  rm -rf "$root/.cluster"
  echo "demo removed"
  exit 0
fi

: >"$log"
run "Building the control plane (cached after the first run)" "$log" hack/testbin.sh cluster
bin=$(hack/testbin.sh cluster)
export KUBECONFIG
KUBECONFIG=$(hack/cluster.sh kubeconfig)
kubectl() { "$bin/kubectl" "$@"; }

run "Starting the local cluster" "$log" hack/cluster.sh up
run "Installing the GatewayDeployment CRD" "$log" make --no-print-directory install KUBECTL="$bin/kubectl"

start_operator() {
  stop_operator
  go build -o "$state/manager" ./cmd
  # The operator keeps running after the demo, so you can try things; `make demo-down` stops it.
  nohup "$state/manager" --health-probe-bind-address=127.0.0.1:18081 >"$operator_log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 50); do
    curl -fsS http://127.0.0.1:18081/readyz >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { echo "the operator exited; see $operator_log"; return 1; }
    sleep 0.2
  done
  echo "the operator did not become ready; see $operator_log"
  return 1
}
run "Building and starting the operator (log: $operator_log)" "$log" start_operator
run "Applying the sample GatewayDeployment ($sample)" "$log" kubectl apply -f "$sample"
run "Waiting for gwd/edge to be Ready" "$log" kubectl wait --for=condition=Ready gwd/edge --timeout=120s

echo
kubectl get gwd -o wide
echo
kubectl get deployments,services,pods -l app.kubernetes.io/managed-by=portico
echo
echo "Try: KUBECONFIG=$KUBECONFIG $bin/kubectl scale gwd/edge --replicas=4"
echo "Clean up: make demo-down"
