#!/usr/bin/env bash
# Builds the Kubernetes control-plane binaries Portico's tests run against, from the
# Go module proxy, into a cache outside the checkout so fresh clones reuse them.
#
#   hack/testbin.sh [envtest|cluster|istio]   build what that suite needs, print the bin dir
#
# envtest: etcd, kube-apiserver, kubectl. cluster: also kube-controller-manager,
# kube-scheduler, kwok and kwokctl (for the local kwok cluster). istio: istiod
# (pilot-discovery) and istioctl, in a directory of their own.
#
# The cache key is the pinned version plus a hash of the wrapper module's go.sum:
# bumping a pin builds into a new directory and never reuses a stale binary.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${PORTICO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/portico}
what=${1:-envtest}

key() { # module dir -> "<version>-<hash of go.mod+go.sum>"
  local dir=$1 version=$2
  echo "${version}-$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-12)"
}

# build <module dir> <out dir> <ldflags> <package>...
build() {
  local dir=$1 out=$2 ldflags=$3; shift 3
  mkdir -p "$out"
  for pkg in "$@"; do
    local name=${pkg##*/}
    [ "$name" = v3 ] && name=etcd
    [ "$name" = kwok ] && [ "$pkg" = sigs.k8s.io/kwok/cmd/kwok ] && name=kwok
    if [ -x "$out/$name" ]; then continue; fi
    echo "testbin: building $name into $out (a cold build takes minutes)" >&2
    (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$out/$name.tmp" "$pkg")
    mv "$out/$name.tmp" "$out/$name"
  done
}

pinned() { # go.mod, module path -> the version it requires
  awk -v m="$2" '{for (i = 1; i < NF; i++) if ($i == m) {print $(i+1); exit}}' "$1"
}
kube_version=$(pinned "$root/hack/tools/kube/go.mod" k8s.io/kubernetes)
etcd_version=$(pinned "$root/hack/tools/etcd/go.mod" go.etcd.io/etcd/server/v3)
kube_minor=$(echo "$kube_version" | cut -d. -f2)
kube_ldflags="-X k8s.io/component-base/version.gitVersion=$kube_version \
 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$kube_minor \
 -X k8s.io/client-go/pkg/version.gitVersion=$kube_version \
 -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$kube_minor"

kwok_version=$(pinned "$root/hack/tools/kwok/go.mod" sigs.k8s.io/kwok)
kube_out="$cache/kube-$(key "$root/hack/tools/kube" "$kube_version")"
kwok_out="$cache/kwok-$(key "$root/hack/tools/kwok" "$kwok_version")"
etcd_out="$cache/etcd-$(key "$root/hack/tools/etcd" "$etcd_version")"
bin="$cache/bin-$what-$(key "$root/hack/tools/kube" "$kube_version")-etcd-$etcd_version"

kube_pkgs=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
case "$what" in
  envtest) ;;
  cluster) kube_pkgs+=(k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler) ;;
  istio)
    istio_version=$(pinned "$root/hack/tools/istio/go.mod" istio.io/istio)
    istio_out="$cache/istio-$(key "$root/hack/tools/istio" "$istio_version")"
    build "$root/hack/tools/istio" "$istio_out" "" \
      istio.io/istio/pilot/cmd/pilot-discovery istio.io/istio/istioctl/cmd/istioctl
    echo "$istio_out"
    exit 0
    ;;
  *) echo "usage: $0 [envtest|cluster|istio]" >&2; exit 2 ;;
esac

build "$root/hack/tools/etcd" "$etcd_out" "" go.etcd.io/etcd/server/v3
build "$root/hack/tools/kube" "$kube_out" "$kube_ldflags" "${kube_pkgs[@]}"
outs=("$etcd_out" "$kube_out")
if [ "$what" = cluster ]; then
  build "$root/hack/tools/kwok" "$kwok_out" "-X sigs.k8s.io/kwok/pkg/consts.Version=${kwok_version#v}" \
    sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
  outs+=("$kwok_out")
fi

# One directory with every binary, as envtest's KUBEBUILDER_ASSETS expects.
mkdir -p "$bin"
for dir in "${outs[@]}"; do
  for f in "$dir"/*; do
    case "$f" in *.tmp) continue ;; esac
    ln -sfn "$f" "$bin/$(basename "$f")"
  done
done
echo "$bin"
