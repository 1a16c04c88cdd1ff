// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// kubectl drain, as a cluster upgrade runs it, takes one gateway pod and then waits on the
// budget: the other keeps serving. Both pods are held to the drained node so that the
// evicted one cannot come back elsewhere and free the budget.
func TestDrainHonoursTheDisruptionBudget(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := env.NewNamespace(t, nil)
	nodes := &corev1.NodeList{}
	g.Expect(env.K8s.List(ctx, nodes)).To(Succeed())
	g.Expect(nodes.Items).NotTo(BeEmpty())
	node := nodes.Items[len(nodes.Items)-1].Name
	gwd := env.CreateGateway(t, ns, "drained", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Replicas = ptr.To[int32](2)
		gwd.Spec.Pod.NodeSelector = gatewayv1alpha1.LabelMap{corev1.LabelHostname: gatewayv1alpha1.LabelValue(node)}
	})
	env.WaitReady(t, gwd)
	pdb := &policyv1.PodDisruptionBudget{}
	g.Expect(env.K8s.Get(ctx, client.ObjectKeyFromObject(gwd), pdb)).To(Succeed())
	g.Expect(pdb.Spec.MaxUnavailable.IntValue()).To(Equal(1))
	g.Eventually(func() int32 {
		g.Expect(env.K8s.Get(ctx, client.ObjectKeyFromObject(gwd), pdb)).To(Succeed())
		return pdb.Status.DisruptionsAllowed
	}, timeout, interval).Should(Equal(int32(1)))

	t.Cleanup(func() { _, _ = env.Kubectl("uncordon", node) })
	out, err := env.Kubectl("drain", node, "--pod-selector", gatewayv1alpha1.LabelGatewayDeployment+"=drained",
		"--ignore-daemonsets", "--delete-emptydir-data", "--timeout=15s")
	g.Expect(err).To(HaveOccurred(), "the drain should have waited on the budget:\n%s", out)
	g.Expect(out).To(ContainSubstring("disruption budget"))
	g.Expect(strings.Count(out, "evicted")).To(Equal(1), out)

	// One pod was taken, the other serves; uncordoned, the gateway is whole again.
	pods := &corev1.PodList{}
	g.Expect(env.K8s.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels(gwd.SelectorLabels()))).To(Succeed())
	running := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Spec.NodeName == node {
			running++
		}
	}
	g.Expect(running).To(Equal(1))
	env.MustKubectl(t, "uncordon", node)
	g.Eventually(func() int32 { return env.Get(t, gwd).Status.ReadyReplicas }, timeout, interval).Should(Equal(int32(2)))
	env.WaitReady(t, gwd)
}

// Kubernetes' own HorizontalPodAutoscaler controller takes the gateway to its minimum, and,
// with no metrics API on the local cluster, the gateway says the autoscaler cannot read its
// metrics while it stays Ready.
func TestAutoscalerOnTheLocalCluster(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := env.NewNamespace(t, nil)
	gwd := env.CreateGateway(t, ns, "elastic", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}
		gwd.Spec.Autoscaling = &gatewayv1alpha1.AutoscalingSpec{MinReplicas: ptr.To[int32](2), MaxReplicas: 4,
			TargetCPUUtilizationPercentage: ptr.To[int32](50)}
	})
	hpa := &autoscalingv2.HorizontalPodAutoscaler{}
	g.Eventually(func() error { return env.K8s.Get(ctx, client.ObjectKeyFromObject(gwd), hpa) }, timeout, interval).Should(Succeed())
	g.Eventually(func() int32 {
		d := &appsv1.Deployment{}
		g.Expect(env.K8s.Get(ctx, client.ObjectKeyFromObject(gwd), d)).To(Succeed())
		return ptr.Deref(d.Spec.Replicas, 0)
	}, timeout, interval).Should(Equal(int32(2)), "the autoscaler did not bring the gateway to its minimum")
	latest := env.WaitFor(t, gwd, gatewayv1alpha1.ConditionAutoscaling, metav1.ConditionFalse, "FailedGetResourceMetric")
	g.Expect(latest.Status.Autoscaling).NotTo(BeNil())
	g.Expect(latest.Status.Autoscaling.CurrentReplicas).To(Equal(int32(2)))
	env.WaitReady(t, gwd)
	g.Expect(env.Get(t, gwd).Status.ReadySummary).To(Equal("2/2"))
}
