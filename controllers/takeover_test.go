// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	routev1 "github.com/openshift/api/route/v1"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// This file sorts after mesh_test.go and route_test.go, whose lifecycle tests begin on an API
// server without Istio's and OpenShift's CRDs: it installs both.

// foreignObjects are someone else's objects that have the names a gateway "x" would give its
// Deployment, Service, own DestinationRule and Route.
func foreignObjects(ns string) []client.Object {
	labels := map[string]string{"app": "billing-db"}
	return []client.Object{
		&appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x", Labels: labels},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "postgres", Image: "postgres:17"}}},
				},
			},
		},
		&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x", Labels: labels},
			Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Name: "pg", Port: 5432}}},
		},
		&istionetworkingv1.DestinationRule{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x-gateway", Labels: labels},
			Spec:       networkingv1alpha3.DestinationRule{Host: "billing-db"},
		},
		&routev1.Route{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x", Labels: labels},
			Spec: routev1.RouteSpec{Host: "db.example.com", To: routev1.RouteTargetReference{Kind: "Service", Name: "x"},
				Port: &routev1.RoutePort{TargetPort: intstr.FromString("pg")}},
		},
	}
}

// snapshot is each object as the API server holds it, encoded.
func snapshot(t *testing.T, objs []client.Object) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, obj := range objs {
		live := obj.DeepCopyObject().(client.Object)
		NewWithT(t).Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), live)).To(Succeed())
		b, err := json.Marshal(live)
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		out[live.GetObjectKind().GroupVersionKind().Kind+"/"+live.GetName()] = string(b)
	}
	return out
}

func TestForeignObjectsAreNeverTakenOver(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	installCRDs(t, istioCRDs(t), routeCRD(t))
	ns := newNamespace(t)
	foreign := foreignObjects(ns)
	for _, obj := range foreign {
		g.Expect(k8s.Create(ctx, obj, client.FieldOwner("billing-team"))).To(Succeed())
	}
	before := snapshot(t, foreign)

	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x"}}
	gwd.Spec.Mesh = &gatewayv1alpha1.MeshSpec{MTLS: &gatewayv1alpha1.MeshMTLS{Mode: gatewayv1alpha1.MTLSModeIstioMutual}}
	gwd.Spec.Route = &gatewayv1alpha1.RouteSpec{Host: "api.example.com"}
	g.Expect(k8s.Create(ctx, gwd)).To(Succeed())
	latest := condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonChildConflict)
	message := meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionReady).Message
	for _, want := range []string{"Deployment x exists", "Service x exists", "DestinationRule x-gateway exists", "Route x exists", "written by billing-team"} {
		g.Expect(message).To(ContainSubstring(want))
	}
	g.Eventually(func(g Gomega) {
		events := &eventsv1.EventList{}
		g.Expect(k8s.List(ctx, events, client.InNamespace(ns))).To(Succeed())
		var notes []string
		for _, e := range events.Items {
			if e.Type == corev1.EventTypeWarning && e.Reason == gatewayv1alpha1.ReasonChildConflict {
				notes = append(notes, e.Note)
			}
		}
		g.Expect(notes).To(ContainElement(ContainSubstring("Service x exists")))
	}, timeout, interval).Should(Succeed())

	// Reconciles keep coming (spec changes, and the rechecks): nothing foreign is written.
	for replicas := int32(2); replicas <= 4; replicas++ {
		g.Expect(k8s.Patch(ctx, latest, client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, replicas)))).To(Succeed())
		latest = condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonChildConflict)
	}
	time.Sleep(3 * time.Second) // three rechecks
	g.Expect(snapshot(t, foreign)).To(Equal(before))
	events := &eventsv1.EventList{}
	g.Expect(k8s.List(ctx, events, client.InNamespace(ns))).To(Succeed())
	for _, e := range events.Items {
		if e.Reason == gatewayv1alpha1.ReasonChildConflict {
			g.Expect(e.Series).To(BeNil(), "told once, not at every recheck: %s", e.Note)
		}
	}

	// A labelled copy without Portico's controller reference is not Portico's either.
	copied := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "y", Labels: map[string]string{
		gatewayv1alpha1.LabelManagedBy: gatewayv1alpha1.ManagedByValue, gatewayv1alpha1.LabelGatewayDeployment: "y"}},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "pg", Port: 5432}}}}
	g.Expect(k8s.Create(ctx, copied, client.FieldOwner("billing-team"))).To(Succeed())
	copyBefore := snapshot(t, []client.Object{copied})
	y := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "y"}}
	g.Expect(k8s.Create(ctx, y)).To(Succeed())
	condition(t, y, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonChildConflict)
	g.Expect(snapshot(t, []client.Object{copied})).To(Equal(copyBefore))

	// The gateway goes: the foreign objects stay, as they were.
	g.Expect(k8s.Delete(ctx, latest)).To(Succeed())
	g.Eventually(func() bool { return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest)) }, timeout, interval).Should(BeTrue())
	g.Expect(snapshot(t, foreign)).To(Equal(before))

	// The name is freed: the gateway that waited creates its own Service and becomes Ready.
	g.Expect(k8s.Delete(ctx, copied)).To(Succeed())
	owned := service(t, y)
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(y), owned)).To(Succeed())
		g.Expect(metav1.IsControlledBy(owned, y)).To(BeTrue())
	}, timeout, interval).Should(Succeed())
	setDeploymentStatus(t, y, rolledOut(ptr.Deref(y.Spec.Replicas, 1)))
	condition(t, y, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
}
