// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package apply

import (
	"maps"
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
// one, nor a Deployment's new generation or metadata Portico sets, but a Deployment's status
// write is; a child just created stands in for the cache only for a short while.
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
	seen := childVersion{uid: "c1", version: "7", specHash: specHashOf(objs.Service)}
	memo.rememberCovered(gwd, "Service/gw", seen)
	for name, other := range map[string]childVersion{
		"newer resourceVersion": {uid: "c1", version: "8", specHash: seen.specHash},
		"other spec hash":       {uid: "c1", version: "7", specHash: specHashOf(objs.Deployment)},
		"recreated":             {uid: "c2", version: "7", specHash: seen.specHash},
		"no spec hash":          {uid: "c1", version: "7"},
	} {
		if memo.covered(gwd, "Service/gw", other) {
			t.Errorf("%s: taken for the verified one", name)
		}
	}
	if !memo.covered(gwd, "Service/gw", seen) || memo.covered(gwd, "Deployment/gw", seen) {
		t.Error("the verified child is not recalled, or recalled under another name")
	}

	// A Deployment is known by its generation and Portico's metadata, not by status writes.
	live := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{UID: "d1", Generation: 2, ResourceVersion: "10",
		Labels: map[string]string{}, Annotations: map[string]string{},
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(gwd, gatewayv1alpha1.GroupVersion.WithKind("GatewayDeployment"))}}}
	maps.Copy(live.Labels, objs.Deployment.Labels)
	maps.Copy(live.Annotations, objs.Deployment.Annotations)
	live.Annotations["deployment.kubernetes.io/revision"] = "1"
	judged := seenVersion(live, objs.Deployment)
	memo.rememberCovered(gwd, "Deployment/gw", judged)
	statusWritten := live.DeepCopy()
	statusWritten.ResourceVersion = "11"
	statusWritten.Annotations["deployment.kubernetes.io/revision"] = "2" // not Portico's
	if !memo.covered(gwd, "Deployment/gw", seenVersion(statusWritten, objs.Deployment)) {
		t.Error("a Deployment whose status changed is not recalled")
	}
	if !memo.covered(gwd, "Deployment/gw", func() childVersion { v := judged; v.generation = 1; return v }()) {
		t.Error("a cache behind the judged generation is not taken for it")
	}
	for name, change := range map[string]func(d *appsv1.Deployment){
		"newer generation":        func(d *appsv1.Deployment) { d.Generation++ },
		"Portico's label changed": func(d *appsv1.Deployment) { d.Labels[gatewayv1alpha1.LabelManagedBy] = "someone" },
		"spec hash removed":       func(d *appsv1.Deployment) { delete(d.Annotations, render.AnnotationSpecHash) },
		"owner added": func(d *appsv1.Deployment) {
			d.OwnerReferences = append(d.OwnerReferences, metav1.OwnerReference{UID: "o"})
		},
	} {
		changed := live.DeepCopy()
		change(changed)
		if memo.covered(gwd, "Deployment/gw", seenVersion(changed, objs.Deployment)) {
			t.Errorf("%s: taken for the judged Deployment", name)
		}
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
	memo.covered(gwd, "Service/gw", childVersion{uid: "s1", version: "9"})
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
	if memo.covered(gwd, "Service/gw", seen) {
		t.Error("recalled after the gateway was forgotten")
	}
}

// TestCoversLooksPastServerFields: a child's status and managed fields never make it differ
// from what Portico applies (no apply configuration sets them), and the comparison leaves the
// live object as it was.
func TestCoversLooksPastServerFields(t *testing.T) {
	desired := []byte(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"gw","labels":{"a":"b"}},"spec":{"type":"ClusterIP"}}`)
	live := &corev1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: "gw", Labels: map[string]string{"a": "b"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "portico", Operation: metav1.ManagedFieldsOperationApply}}},
		Spec:   corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.0.0.1"},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "203.0.113.1"}}}},
	}
	same, err := covers(live, desired)
	if err != nil || !same {
		t.Fatalf("covers = %v, %v; want true", same, err)
	}
	if len(live.ManagedFields) != 1 || len(live.Status.LoadBalancer.Ingress) != 1 {
		t.Fatalf("the comparison changed the live object: %+v", live)
	}
	live.Spec.Type = corev1.ServiceTypeNodePort
	if same, _ := covers(live, desired); same {
		t.Fatal("a changed spec value was taken for the desired one")
	}
}

// A child last judged to hold another spec than the one now wanted, and unchanged since, is
// known to be outdated; any other change to it, or no judgement, leaves that to a comparison.
func TestChildMemoKnowsAnOutdatedChild(t *testing.T) {
	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: "edge", Name: "gw", UID: "u1"}}
	memo := childMemo{now: time.Now}
	judged := childVersion{uid: "c1", generation: 3, version: "meta", specHash: "old"}
	if memo.outdated(gwd, "Deployment/gw", childVersion{uid: "c1", generation: 3, version: "meta", specHash: "new"}) {
		t.Error("outdated without a judgement")
	}
	memo.rememberCovered(gwd, "Deployment/gw", judged)
	for name, tc := range map[string]struct {
		seen childVersion
		want bool
	}{
		"new spec wanted":     {childVersion{uid: "c1", generation: 3, version: "meta", specHash: "new"}, true},
		"same spec wanted":    {judged, false},
		"changed since":       {childVersion{uid: "c1", generation: 4, version: "meta", specHash: "new"}, false},
		"metadata changed":    {childVersion{uid: "c1", generation: 3, version: "other", specHash: "new"}, false},
		"recreated":           {childVersion{uid: "c2", generation: 3, version: "meta", specHash: "new"}, false},
		"no spec hash wanted": {childVersion{uid: "c1", generation: 3, version: "meta"}, false},
	} {
		if got := memo.outdated(gwd, "Deployment/gw", tc.seen); got != tc.want {
			t.Errorf("%s: outdated %v, want %v", name, got, tc.want)
		}
	}
}
