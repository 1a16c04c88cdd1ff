// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	routev1 "github.com/openshift/api/route/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/testutil"
)

// routeCRD is OpenShift's Route CRD, from the openshift/api module.
func routeCRD(t *testing.T) string {
	return testutil.ModuleFile(t, "github.com/openshift/api", "route", "v1", "zz_generated.crd-manifests", "routes.crd.yaml")
}

// admit plays OpenShift's router, which envtest does not run.
func admit(t *testing.T, key types.NamespacedName, host string, status corev1.ConditionStatus, reason string) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		route := &routev1.Route{}
		if err := k8s.Get(context.Background(), key, route); err != nil {
			return err
		}
		route.Status.Ingress = []routev1.RouteIngress{{Host: host, RouterName: "default", Conditions: []routev1.RouteIngressCondition{{
			Type: routev1.RouteAdmitted, Status: status, Reason: reason, Message: "host " + host,
		}}}}
		return k8s.Status().Update(context.Background(), route)
	}, timeout, interval).Should(Succeed())
}

// The suite's API server has no Routes until this test installs their CRD: it sees both.
func TestRouteLifecycle(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	gwd := createGateway(t, ns, "routed", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Route = &gatewayv1alpha1.RouteSpec{Host: "api.example.com", Termination: gatewayv1alpha1.RouteTerminationEdge}
	})
	setDeploymentStatus(t, gwd, rolledOut(1))

	// Not OpenShift: a clear condition, nothing crashes.
	latest := condition(t, gwd, gatewayv1alpha1.ConditionRouteAdmitted, metav1.ConditionFalse, gatewayv1alpha1.ReasonNotOpenShift)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionRouteAdmitted).Message).To(ContainSubstring("does not serve OpenShift Routes"))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonNotOpenShift)

	// Routes appear (as on OpenShift): the Route is created, waiting for a router.
	installCRDs(t, routeCRD(t))
	condition(t, gwd, gatewayv1alpha1.ConditionRouteAdmitted, metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling)
	key := client.ObjectKeyFromObject(gwd)
	route := &routev1.Route{}
	g.Expect(k8s.Get(ctx, key, route)).To(Succeed())
	g.Expect(metav1.IsControlledBy(route, gwd)).To(BeTrue())
	g.Expect(route.Spec.Host).To(Equal("api.example.com"))
	g.Expect(route.Spec.To.Name).To(Equal("routed"))
	g.Expect(route.Spec.Port.TargetPort.String()).To(Equal("http"))
	g.Expect(route.Spec.TLS.Termination).To(Equal(routev1.TLSTerminationEdge))
	// Waiting for the router is not a failure.
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)

	admit(t, key, "api.example.com", corev1.ConditionTrue, "")
	latest = condition(t, gwd, gatewayv1alpha1.ConditionRouteAdmitted, metav1.ConditionTrue, gatewayv1alpha1.ReasonRouteAdmitted)
	g.Expect(latest.Status.Addresses[0]).To(Equal(gatewayv1alpha1.GatewayAddress{Type: gatewayv1alpha1.AddressTypeHostname, Value: "api.example.com"}))

	admit(t, key, "api.example.com", corev1.ConditionFalse, "HostAlreadyClaimed")
	latest = condition(t, gwd, gatewayv1alpha1.ConditionRouteAdmitted, metav1.ConditionFalse, gatewayv1alpha1.ReasonRouteRejected)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionRouteAdmitted).Message).To(ContainSubstring("HostAlreadyClaimed"))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonRouteRejected)

	// Drift on the Route is reverted like on any child.
	g.Expect(k8s.Get(ctx, key, route)).To(Succeed())
	route.Spec.Host = "evil.example.com"
	g.Expect(k8s.Update(ctx, route, client.FieldOwner("kubectl-edit"))).To(Succeed())
	g.Eventually(func() string {
		_ = k8s.Get(ctx, key, route)
		return route.Spec.Host
	}, timeout, interval).Should(Equal("api.example.com"))

	// No Route asked for any more: it goes, and so does the condition.
	g.Expect(k8s.Patch(ctx, gwd, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"route":null}}`)))).To(Succeed())
	g.Eventually(func() bool { return apierrors.IsNotFound(k8s.Get(ctx, key, &routev1.Route{})) }, timeout, interval).Should(BeTrue())
	latest = condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionRouteAdmitted)).To(BeNil())
}
