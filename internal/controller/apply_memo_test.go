// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/render"
)

// TestChildMemoKnowsWhatCannotHaveChanged: the memo keys on the spec hash of every kind
// Portico applies; a changed resourceVersion, spec hash or UID is never taken for a known
// one; a child just created stands in for the cache only for a short while.
func TestChildMemoKnowsWhatCannotHaveChanged(t *testing.T) {
	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: "edge", Name: "gw", UID: "u1"}}
	gwd.Spec.Mesh = &gatewayv1alpha1.MeshSpec{SidecarInjection: gatewayv1alpha1.SidecarInjectionEnabled,
		MTLS: &gatewayv1alpha1.MeshMTLS{Mode: gatewayv1alpha1.MTLSModeIstioMutual, UpstreamHosts: []string{"orders.shop.svc.cluster.local"}}}
	objs, err := render.Render(render.Inputs{GatewayDeployment: gwd, DefaultImage: "kong:3"})
	if err != nil {
		t.Fatal(err)
	}
	desired := map[string]any{"Deployment": objs.Deployment, "Service": objs.Service, "PeerAuthentication": objs.PeerAuthentication}
	for _, dr := range objs.DestinationRules {
		desired["DestinationRule/"+*dr.Name] = dr
	}
	if len(desired) != 5 {
		t.Fatalf("rendered %d objects, want 5", len(desired))
	}
	for kind, obj := range desired {
		if specHashOf(obj) == "" {
			t.Errorf("%s: no spec hash read", kind)
		}
	}
	if got := specHashOf(nil); got != "" {
		t.Errorf("nil: %q", got)
	}

	now := time.Now()
	memo := childMemo{now: func() time.Time { return now }}
	seen := childVersion{uid: "c1", resourceVersion: "7", specHash: specHashOf(objs.Deployment)}
	memo.rememberCovered(gwd, "Deployment/gw", seen)
	for name, other := range map[string]childVersion{
		"newer resourceVersion": {uid: "c1", resourceVersion: "8", specHash: seen.specHash},
		"other spec hash":       {uid: "c1", resourceVersion: "7", specHash: specHashOf(objs.Service)},
		"recreated":             {uid: "c2", resourceVersion: "7", specHash: seen.specHash},
		"no spec hash":          {uid: "c1", resourceVersion: "7"},
	} {
		if memo.covered(gwd, "Deployment/gw", other) {
			t.Errorf("%s: taken for the verified one", name)
		}
	}
	if !memo.covered(gwd, "Deployment/gw", seen) || memo.covered(gwd, "Service/gw", seen) {
		t.Error("the verified child is not recalled, or recalled under another name")
	}

	created := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "gw", UID: "s1", ResourceVersion: "9"}}
	memo.rememberCreated(gwd, "Service/gw", created)
	into := &corev1.Service{}
	if wait, ok := memo.recentlyCreated(gwd, "Service/gw", into); !ok || wait != cacheLag || into.UID != "s1" {
		t.Errorf("just created: %v %v %q", wait, ok, into.UID)
	}
	if _, ok := memo.recentlyCreated(gwd, "Service/gw", &appsv1.Deployment{}); ok {
		t.Error("recalled into another kind")
	}
	memo.rememberCreated(gwd, "Service/gw", created)
	now = now.Add(cacheLag)
	if _, ok := memo.recentlyCreated(gwd, "Service/gw", &corev1.Service{}); ok {
		t.Error("recalled past the cache lag: a deleted child would never come back")
	}
	// Seen in the cache: the record of its creation is done with.
	memo.rememberCreated(gwd, "Service/gw", created)
	memo.covered(gwd, "Service/gw", childVersion{uid: "s1", resourceVersion: "9"})
	if _, ok := memo.recentlyCreated(gwd, "Service/gw", &corev1.Service{}); ok {
		t.Error("recalled after the cache showed it")
	}

	// Let go past cacheLag even if the gateway is never looked at again: another gateway's
	// creation sweeps it.
	memo.rememberCreated(gwd, "Service/gw", created)
	now = now.Add(cacheLag)
	other := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: "edge", Name: "other"}}
	memo.rememberCreated(other, "Service/other", created)
	memo.mu.Lock()
	left, kept := len(memo.byGateway[types.NamespacedName{Namespace: "edge", Name: "gw"}].created), len(memo.createdOrder)
	memo.mu.Unlock()
	if left != 0 || kept != 1 {
		t.Errorf("after cacheLag: %d created kept for the gateway, %d in order; want 0 and 1", left, kept)
	}

	memo.forget(types.NamespacedName{Namespace: "edge", Name: "gw"})
	if memo.covered(gwd, "Deployment/gw", seen) {
		t.Error("recalled after the gateway was forgotten")
	}
}
