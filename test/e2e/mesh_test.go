// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/testutil"
)

// Istio's CRDs without istiod: Portico writes its objects, and reports honestly that no
// sidecar was injected.
func TestMeshWithoutAnInjector(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	crds := testutil.ModuleFile(t, "istio.io/api", "kubernetes", "customresourcedefinitions.gen.yaml")
	env.MustKubectl(t, "apply", "--server-side", "--force-conflicts", "-f", crds)
	g.Expect(env.WaitEstablished("destinationrules.networking.istio.io", "peerauthentications.security.istio.io")).To(Succeed())

	ns := env.NewNamespace(t, nil)
	gwd := env.CreateGateway(t, ns, "meshed", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Mesh = &gatewayv1alpha1.MeshSpec{
			SidecarInjection: gatewayv1alpha1.SidecarInjectionEnabled,
			MTLS: &gatewayv1alpha1.MeshMTLS{Mode: gatewayv1alpha1.MTLSModeIstioMutual,
				UpstreamHosts: []string{"orders.shop.svc.cluster.local"}},
		}
	})
	latest := env.WaitFor(t, gwd, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonSidecarNotInjected)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionMeshReady).Message).To(ContainSubstring("namespace " + ns))
	g.Expect(latest.Status.Mesh).To(Equal(&gatewayv1alpha1.MeshStatus{DestinationRules: 2, PeerAuthentication: true,
		UpstreamHosts: []string{"orders.shop.svc.cluster.local"}}))
	g.Expect(env.MustKubectl(t, "get", "destinationrules,peerauthentications", "-n", ns, "-o", "name")).To(Equal(strings.Join([]string{
		"destinationrule.networking.istio.io/meshed-gateway",
		"destinationrule.networking.istio.io/meshed-upstream-0882f27165",
		"peerauthentication.security.istio.io/meshed",
	}, "\n")))

	// Mesh off: the objects go, the pods roll once and the gateway is Ready without Istio.
	env.MustKubectl(t, "patch", "-n", ns, "gwd/meshed", "--type=merge", "-p", `{"spec":{"mesh":null}}`)
	env.WaitFor(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
	g.Eventually(func() string {
		return env.MustKubectl(t, "get", "destinationrules,peerauthentications", "-n", ns, "-o", "name")
	}, timeout, interval).Should(BeEmpty())
	g.Expect(meta.FindStatusCondition(env.Get(t, gwd).Status.Conditions, gatewayv1alpha1.ConditionMeshReady)).To(BeNil())
	g.Consistently(func() int {
		sets := &appsv1.ReplicaSetList{}
		g.Expect(env.K8s.List(ctx, sets, client.InNamespace(ns))).To(Succeed())
		return len(sets.Items)
	}, 2*time.Second, interval).Should(Equal(2), "the pods should roll exactly once")
}
