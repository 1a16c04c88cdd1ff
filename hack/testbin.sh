#!/usr/bin/env bash
# Builds the binaries Portico's tests and demo run against (Kubernetes' control plane, kwok,
# istiod, OLM), from the Go module proxy, into a cache outside the checkout so fresh clones
# reuse them.
#
#   hack/testbin.sh [envtest|cluster|istio|olm]          build what that suite needs, print the bin dir
#   hack/testbin.sh --cached [envtest|cluster|istio|olm] print the bin dir only if all of it is built
#                                                        (exit 1 otherwise): for teardowns, which build nothing
#
# envtest: etcd, kube-apiserver, kubectl. cluster: also kube-controller-manager,
# kube-scheduler, kwok and kwokctl (for the local kwok cluster). istio: istiod
# (pilot-discovery) and istioctl. olm: OLM's olm and catalog operators and opm. istio and olm
# build into directories of their own.
#
# Progress goes to stderr: on a cold cache one line says what will be built and about how
# long it takes; each module's build says when it starts and ends, with the running total.
# The Go build's own output goes to a log whose path is printed.
#
# The cache key is the pinned version plus a hash of the wrapper module's go.mod and go.sum:
# bumping a pin builds into a new directory and never reuses a stale binary.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# The Go toolchain of go.mod's toolchain line (see the Makefile), unless one is chosen.
export GOTOOLCHAIN="${GOTOOLCHAIN:-$(awk '/^toolchain /{print $2}' "$root/go.mod")}"
cache=${PORTICO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/portico}
cached_only=false
if [ "${1:-}" = --cached ]; then cached_only=true; shift; fi
what=${1:-envtest}
started=$SECONDS

key() { # module dir -> "<version>-<hash of go.mod+go.sum>"
  local dir=$1 version=$2
  echo "${version}-$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-12)"
}

pinned() { # go.mod, module path -> the version it requires
  awk -v m="$2" '{for (i = 1; i < NF; i++) if ($i == m) {print $(i+1); exit}}' "$1"
}

binary_name() { # package path -> the binary it builds
  case "$1" in
    go.etcd.io/etcd/server/v3) echo etcd ;;
    *) echo "${1##*/}" ;;
  esac
}

# Each planned build: "<module dir>|<out dir>|<ldflags>|<cgo>|<minutes cold>|<build tags>|<package>...".
# The minutes are measured cold on a 2-core machine with nothing else running (this project's
# pins; the cluster's whole set took 9 m 23 s: etcd 0:50, Kubernetes 6:37, kwok 1:56).
plan=()
plan_build() { plan+=("$*"); }

missing() { # out dir, packages... -> the packages whose binary is not built yet
  local out=$1; shift
  for pkg in "$@"; do [ -x "$out/$(binary_name "$pkg")" ] || echo "$pkg"; done
}

go_name() { # package path -> the name go build gives its binary (a /vN suffix is skipped)
  local last=${1##*/}
  if [[ $last =~ ^v[0-9]+$ ]]; then last=${1%/*}; last=${last##*/}; fi
  echo "$last"
}

elapsed() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# build_all runs every planned build that has something missing: one `go build` per module,
# so that its packages compile and link in parallel. No debug information is generated at all
# (-dwarf=false; -w would only strip it at link): these are tools, not code we debug.
build_all() {
  local todo=() minutes=0 names=()
  for entry in "${plan[@]}"; do
    IFS='|' read -r dir out ldflags cgo mins tags pkgs <<<"$entry"
    # shellcheck disable=SC2086 # pkgs is a list
    local need; need=$(missing "$out" $pkgs)
    [ -z "$need" ] && continue
    todo+=("$dir|$out|$ldflags|$cgo|$mins|$tags|$(echo $need)")
    minutes=$((minutes + mins))
    for p in $need; do names+=("$(binary_name "$p")"); done
  done
  [ ${#todo[@]} -eq 0 ] && return 0
  if $cached_only; then
    echo "testbin: not built: ${names[*]}" >&2
    exit 1
  fi
  mkdir -p "$cache"
  local log="$cache/build-$what.log"
  : >"$log"
  echo "testbin: building ${names[*]} (about $minutes min on a cold 2-core machine, less with a warm Go cache); go's output: $log" >&2
  for entry in "${todo[@]}"; do
    IFS='|' read -r dir out ldflags cgo mins tags pkgs <<<"$entry"
    local t0=$SECONDS bins=() built=()
    for p in $pkgs; do bins+=("$(binary_name "$p")"); built+=("$(go_name "$p")"); done
    echo "testbin:   ${bins[*]}: building (from $(basename "$dir") module)" >&2
    mkdir -p "$out"
    local tmp; tmp=$(mktemp -d "$out/.build.XXXXXX")
    # shellcheck disable=SC2086 # pkgs is a list
    if ! (cd "$dir" && CGO_ENABLED=$cgo go build -trimpath -tags "$tags" -gcflags=all=-dwarf=false -ldflags "-s -w $ldflags" -o "$tmp/" $pkgs) >>"$log" 2>&1; then
      rm -rf "$tmp"
      echo "testbin:   ${bins[*]}: build failed; see $log" >&2
      tail -20 "$log" >&2
      exit 1
    fi
    for i in "${!bins[@]}"; do mv "$tmp/${built[$i]}" "$out/${bins[$i]}"; done
    rm -rf "$tmp"
    echo "testbin:   ${bins[*]}: built in $(elapsed $((SECONDS - t0))) (total $(elapsed $((SECONDS - started))))" >&2
  done
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

kube_pkgs="k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl"
case "$what" in
  envtest) ;;
  cluster) kube_pkgs+=" k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler" ;;
  istio|olm)
    if [ "$what" = istio ]; then
      module=istio.io/istio
      pkgs="istio.io/istio/pilot/cmd/pilot-discovery istio.io/istio/istioctl/cmd/istioctl"
      cgo=0 mins=6 tags=""
    else
      module=github.com/operator-framework/operator-lifecycle-manager
      pkgs="github.com/operator-framework/operator-lifecycle-manager/cmd/olm github.com/operator-framework/operator-lifecycle-manager/cmd/catalog github.com/operator-framework/operator-registry/cmd/opm"
      # opm's sqlite needs cgo; its tags are operator-registry's own (pure-Go OpenPGP, no gpgme).
      cgo=1 mins=5 tags=json1,containers_image_openpgp
    fi
    version=$(pinned "$root/hack/tools/$what/go.mod" "$module")
    out="$cache/$what-$(key "$root/hack/tools/$what" "$version")"
    plan_build "$root/hack/tools/$what|$out||$cgo|$mins|$tags|$pkgs"
    build_all
    echo "$out"
    exit 0
    ;;
  *) echo "usage: $0 [--cached] [envtest|cluster|istio|olm]" >&2; exit 2 ;;
esac

plan_build "$root/hack/tools/etcd|$etcd_out||0|1||go.etcd.io/etcd/server/v3"
kube_mins=5
[ "$what" = cluster ] && kube_mins=7
plan_build "$root/hack/tools/kube|$kube_out|$kube_ldflags|0|$kube_mins||$kube_pkgs"
outs=("$etcd_out" "$kube_out")
if [ "$what" = cluster ]; then
  plan_build "$root/hack/tools/kwok|$kwok_out|-X sigs.k8s.io/kwok/pkg/consts.Version=${kwok_version#v}|0|2||sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl"
  outs+=("$kwok_out")
fi
build_all

# One directory with every binary, as envtest's KUBEBUILDER_ASSETS expects.
mkdir -p "$bin"
for dir in "${outs[@]}"; do
  for f in "$dir"/*; do
    ln -sfn "$f" "$bin/$(basename "$f")"
  done
done
echo "$bin"
