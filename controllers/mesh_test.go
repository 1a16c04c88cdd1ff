// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istiosecurityv1 "istio.io/client-go/pkg/apis/security/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/testutil"
)

// istioCRDs is the file of Istio's real CRDs that ships in the istio.io/api module.
func istioCRDs(t *testing.T) string {
	return testutil.ModuleFile(t, "istio.io/api", "kubernetes", "customresourcedefinitions.gen.yaml")
}

func meshLists(t *testing.T, ns string) (*istionetworkingv1.DestinationRuleList, *istiosecurityv1.PeerAuthenticationList) {
	t.Helper()
	rules, auths := &istionetworkingv1.DestinationRuleList{}, &istiosecurityv1.PeerAuthenticationList{}
	g := NewWithT(t)
	g.Expect(k8s.List(context.Background(), rules, client.InNamespace(ns))).To(Succeed())
	g.Expect(k8s.List(context.Background(), auths, client.InNamespace(ns))).To(Succeed())
	return rules, auths
}

// The suite's API server starts without Istio. This test installs Istio's CRDs midway, so it
// is the one test that sees both worlds, in order.
func TestMeshLifecycle(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	hosts := []string{"orders.shop.svc.cluster.local", "payments.shop.svc.cluster.local"}
	gwd := createGateway(t, ns, "meshed", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Mesh = &gatewayv1alpha1.MeshSpec{
			SidecarInjection: gatewayv1alpha1.SidecarInjectionEnabled,
			MTLS:             &gatewayv1alpha1.MeshMTLS{Mode: gatewayv1alpha1.MTLSModeIstioMutual, UpstreamHosts: hosts},
		}
	})
	plain := createGateway(t, ns, "plain", nil)
	setDeploymentStatus(t, gwd, rolledOut(1))
	setDeploymentStatus(t, plain, rolledOut(1))

	// Without Istio: a clear condition for the gateway that asks, nothing for the one that doesn't.
	latest := condition(t, gwd, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonIstioNotInstalled)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionMeshReady).Message).To(ContainSubstring("Install Istio"))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonIstioNotInstalled)
	latestPlain := condition(t, plain, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
	g.Expect(meta.FindStatusCondition(latestPlain.Status.Conditions, gatewayv1alpha1.ConditionMeshReady)).To(BeNil())
	g.Expect(deployment(t, gwd).Spec.Template.Labels).To(HaveKeyWithValue("sidecar.istio.io/inject", "true"))
	g.Expect(deployment(t, gwd).Spec.Template.Annotations).NotTo(HaveKey(render.AnnotationIstioInjector))

	// Istio arrives while the operator runs: it converges without a restart.
	installCRDs(t, istioCRDs(t))
	latest = condition(t, gwd, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonMeshConfigured)
	g.Expect(latest.Status.Mesh).To(Equal(&gatewayv1alpha1.MeshStatus{DestinationRules: 3, PeerAuthentication: true,
		UpstreamHosts: []string{"orders.shop.svc.cluster.local", "payments.shop.svc.cluster.local"}}))
	// The CRDs alone change nothing for the pods; istiod's injector registering rolls them,
	// so that it can give them the sidecar they were created without.
	g.Expect(deployment(t, gwd).Spec.Template.Annotations).NotTo(HaveKey(render.AnnotationIstioInjector))
	injector := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{
		Name: "istio-sidecar-injector", Labels: map[string]string{"app": "sidecar-injector"}}}
	g.Expect(k8s.Create(context.Background(), injector)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), injector) })
	g.Eventually(func() (int, error) {
		injectors, err := reconciler.injectors(context.Background())
		return len(injectors), err
	}, timeout, interval).Should(Equal(1))
	g.Eventually(func() map[string]string { return deployment(t, gwd).Spec.Template.Annotations }, timeout, interval).
		Should(HaveKeyWithValue(render.AnnotationIstioInjector, "registered"))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)

	rules, auths := meshLists(t, ns)
	g.Expect(rules.Items).To(HaveLen(3))
	g.Expect(auths.Items).To(HaveLen(1))
	for _, dr := range rules.Items {
		g.Expect(metav1.IsControlledBy(dr, gwd)).To(BeTrue())
		g.Expect(dr.Spec.ExportTo).To(Equal([]string{"."}))
		if dr.Name != "meshed-gateway" {
			g.Expect(dr.Spec.TrafficPolicy.Tls.Mode.String()).To(Equal("ISTIO_MUTUAL"))
			g.Expect(dr.Spec.WorkloadSelector.MatchLabels).To(Equal(gwd.SelectorLabels()))
		}
	}
	g.Expect(auths.Items[0].Spec.Mtls.Mode.String()).To(Equal("STRICT"))
	g.Expect(auths.Items[0].Spec.PortLevelMtls).To(HaveKey(uint32(8000)))

	// Converged: reconciling again writes nothing, Istio objects included.
	reconcileAtRest(t, gwd)
	for req := range requests.writes() {
		g.Expect(req).NotTo(ContainSubstring("/namespaces/"+ns+"/"), "an unchanged reconcile wrote")
	}

	// A ready pod without the sidecar: the namespace is not injecting.
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "meshed-abc", Labels: deployment(t, gwd).Spec.Template.Labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "kong", Image: testImage}}},
	}
	g.Expect(k8s.Create(ctx, pod)).To(Succeed())
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning,
		Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "kong", Ready: true}}}
	g.Expect(k8s.Status().Update(ctx, pod)).To(Succeed())
	latest = condition(t, gwd, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonSidecarNotInjected)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionMeshReady).Message).To(ContainSubstring("namespace " + ns))
	// Injected as a native sidecar, it counts.
	pod.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "istio-proxy", Ready: true}}
	g.Expect(k8s.Status().Update(ctx, pod)).To(Succeed())
	latest = condition(t, gwd, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonMeshConfigured)
	g.Expect(latest.Status.Mesh.InjectedPods).To(Equal(int32(1)))

	// One upstream less: its rule goes.
	patch := `{"spec":{"mesh":{"mtls":{"upstreamHosts":["orders.shop.svc.cluster.local"]}}}}`
	g.Expect(k8s.Patch(ctx, gwd, client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
	gone := types.NamespacedName{Namespace: ns, Name: render.UpstreamDestinationRuleName("meshed", hosts[1])}
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(ctx, gone, &istionetworkingv1.DestinationRule{}))
	}, timeout, interval).Should(BeTrue())

	// Mesh off: every Istio object goes, the pod template drops Istio's labels and
	// annotations, and MeshReady disappears.
	g.Expect(k8s.Patch(ctx, gwd, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"mesh":null}}`)))).To(Succeed())
	g.Eventually(func() int {
		rules, auths := meshLists(t, ns)
		return len(rules.Items) + len(auths.Items)
	}, timeout, interval).Should(BeZero())
	g.Eventually(func(g Gomega) {
		template := deployment(t, gwd).Spec.Template
		g.Expect(template.Labels).NotTo(HaveKey("sidecar.istio.io/inject"))
		g.Expect(template.Annotations).NotTo(HaveKey("traffic.sidecar.istio.io/includeInboundPorts"))
		latest := &gatewayv1alpha1.GatewayDeployment{}
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
		g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionMeshReady)).To(BeNil())
		g.Expect(latest.Status.Mesh).To(BeNil())
	}, timeout, interval).Should(Succeed())
}

// After TestMeshLifecycle, which needs a suite without Istio first.
//
// Without spec.mesh.mtls.upstreamHosts, the DestinationRules follow the Services the
// configuration's upstreams name; upstreams the sidecar cannot see are reported.
func TestDestinationRulesFollowTheConfiguration(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	installCRDs(t, istioCRDs(t))
	ns := newNamespace(t)
	source := configMapSource(ns, "routes", bookinfoConfig+`- name: details
  host: details
  port: 9080
- name: legacy
  host: 10.20.30.40
`, true)
	g.Expect(k8s.Create(ctx, source)).To(Succeed())
	gwd := createGateway(t, ns, "bookinfo", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		withConfigMap("routes")(gwd)
		gwd.Spec.Mesh = &gatewayv1alpha1.MeshSpec{SidecarInjection: gatewayv1alpha1.SidecarInjectionEnabled,
			MTLS: &gatewayv1alpha1.MeshMTLS{Mode: gatewayv1alpha1.MTLSModeIstioMutual}}
	})
	hosts := func() []string {
		rules, _ := meshLists(t, ns)
		var out []string
		for _, r := range rules.Items {
			if r.Name != "bookinfo-gateway" {
				out = append(out, r.Spec.Host)
			}
		}
		return out
	}
	g.Eventually(hosts, timeout, interval).Should(ConsistOf("details."+ns+".svc.cluster.local", "productpage.bookinfo.svc.cluster.local"))
	latest := condition(t, gwd, gatewayv1alpha1.ConditionUpstreamsInMesh, metav1.ConditionFalse, gatewayv1alpha1.ReasonUpstreamsBypassMesh)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionUpstreamsInMesh).Message).
		To(ContainSubstring("services[2] (service legacy): 10.20.30.40 is an IP address"))
	g.Expect(latest.Status.Mesh.UpstreamHosts).To(Equal([]string{"details." + ns + ".svc.cluster.local", "productpage.bookinfo.svc.cluster.local"}))

	// The configuration drops two upstreams: their rule goes, and so does the warning.
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(source), source)).To(Succeed())
	source.Data = map[string]string{"kong.yml": bookinfoConfig}
	g.Expect(k8s.Update(ctx, source)).To(Succeed())
	g.Eventually(hosts, timeout, interval).Should(ConsistOf("productpage.bookinfo.svc.cluster.local"))
	condition(t, gwd, gatewayv1alpha1.ConditionUpstreamsInMesh, metav1.ConditionTrue, gatewayv1alpha1.ReasonUpstreamsInMesh)
}
