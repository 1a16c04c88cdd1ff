// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/render"
)

func patchSpec(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, spec string) {
	t.Helper()
	NewWithT(t).Expect(k8s.Patch(context.Background(), gwd, client.RawPatch(types.MergePatchType, []byte(`{"spec":`+spec+`}`)))).To(Succeed())
}

// gone waits until gwd's child of obj's kind no longer exists.
func gone(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, obj client.Object) {
	t.Helper()
	NewWithT(t).Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(context.Background(), client.ObjectKeyFromObject(gwd), obj))
	}, timeout, interval).Should(BeTrue(), "%T of %s still there", obj, gwd.Name)
}

func TestDisruptionBudgetFollowsTheSpec(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	gwd := readyGateway(t, ns, "drained", 2, nil)

	// More than one pod: at most one taken at a time, the budget Portico's.
	pdb := child(t, gwd, &policyv1.PodDisruptionBudget{})
	g.Expect(pdb.Spec.MaxUnavailable).To(Equal(ptrTo(intstr.FromInt32(1))))
	g.Expect(pdb.Spec.MinAvailable).To(BeNil())
	g.Expect(metav1.IsControlledBy(pdb, gwd)).To(BeTrue())
	g.Expect(pdb.Spec.Selector.MatchLabels).To(Equal(gwd.SelectorLabels()))

	// One pod: a budget would block every drain, so there is none.
	patchSpec(t, gwd, `{"replicas":1}`)
	gone(t, gwd, &policyv1.PodDisruptionBudget{})

	// Asked for, it is there whatever the replicas.
	patchSpec(t, gwd, `{"disruption":{"minAvailable":"50%"}}`)
	g.Eventually(func() *intstr.IntOrString {
		return child(t, gwd, &policyv1.PodDisruptionBudget{}).Spec.MinAvailable
	}, timeout, interval).Should(Equal(ptrTo(intstr.FromString("50%"))))

	// {} opts out, even with many pods.
	patchSpec(t, gwd, `{"replicas":3,"disruption":{"minAvailable":null}}`)
	gone(t, gwd, &policyv1.PodDisruptionBudget{})

	// Both at once is refused at admission.
	err := k8s.Patch(context.Background(), gwd, client.RawPatch(types.MergePatchType,
		[]byte(`{"spec":{"disruption":{"minAvailable":1,"maxUnavailable":1}}}`)))
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("set minAvailable or maxUnavailable, not both"))
}

func ptrTo[T any](v T) *T { return &v }

// playAutoscaler writes what the HorizontalPodAutoscaler controller (not run by envtest)
// would: the Deployment's replicas through its scale subresource, and its own status.
func playAutoscaler(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, replicas int32, active autoscalingv2.HorizontalPodAutoscalerCondition) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	scale := &autoscalingv1.Scale{}
	dep := deployment(t, gwd)
	g.Expect(k8s.SubResource("scale").Get(ctx, dep, scale)).To(Succeed())
	scale.Spec.Replicas = replicas
	g.Expect(k8s.SubResource("scale").Update(ctx, dep, client.WithSubResourceBody(scale), client.FieldOwner("horizontal-pod-autoscaler"))).To(Succeed())
	g.Eventually(func() error {
		hpa := child(t, gwd, &autoscalingv2.HorizontalPodAutoscaler{})
		hpa.Status = autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: replicas, DesiredReplicas: replicas,
			Conditions: []autoscalingv2.HorizontalPodAutoscalerCondition{
				{Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue, Reason: "ReadyForNewScale", LastTransitionTime: metav1.Now()},
				active,
			}}
		return k8s.Status().Update(ctx, hpa)
	}, timeout, interval).Should(Succeed())
}

func TestAutoscalerTakesOverReplicasWithoutAFight(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	gwd := readyGateway(t, ns, "elastic", 3, func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: mustQuantity("250m")}}
	})

	// Handed over: the HorizontalPodAutoscaler appears, and the Deployment keeps its three
	// pods rather than falling back to one while the autoscaler has yet to act.
	patchSpec(t, gwd, `{"autoscaling":{"minReplicas":2,"maxReplicas":6,"targetCPUUtilizationPercentage":60}}`)
	hpa := child(t, gwd, &autoscalingv2.HorizontalPodAutoscaler{})
	g.Expect(metav1.IsControlledBy(hpa, gwd)).To(BeTrue())
	g.Expect(hpa.Spec.ScaleTargetRef).To(Equal(autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "elastic"}))
	g.Expect(*hpa.Spec.MinReplicas).To(Equal(int32(2)))
	g.Eventually(func() map[string]string { return deployment(t, gwd).Annotations }, timeout, interval).
		Should(HaveKeyWithValue(render.AnnotationReplicas, render.ReplicasAutoscaled))
	g.Consistently(func() int32 { return *deployment(t, gwd).Spec.Replicas }, time.Second, interval).Should(Equal(int32(3)))
	// The budget follows the autoscaler's minimum.
	child(t, gwd, &policyv1.PodDisruptionBudget{})

	// The autoscaler scales to five and reports that it cannot read metrics.
	playAutoscaler(t, gwd, 5, autoscalingv2.HorizontalPodAutoscalerCondition{Type: autoscalingv2.ScalingActive, Status: corev1.ConditionFalse,
		Reason: "FailedGetResourceMetric", Message: "the HPA was unable to compute the replica count: no metrics returned from resource metrics API",
		LastTransitionTime: metav1.Now()})
	setDeploymentStatus(t, gwd, rolledOut(5))
	latest := condition(t, gwd, gatewayv1alpha1.ConditionAutoscaling, metav1.ConditionFalse, "FailedGetResourceMetric")
	g.Expect(latest.Status.Autoscaling).NotTo(BeNil())
	g.Expect(latest.Status.Autoscaling.DesiredReplicas).To(Equal(int32(5)))
	g.Expect(latest.Status.ReadySummary).To(Equal("5/5"))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)

	// Portico's reconciles leave the autoscaler's replicas alone: no write at all.
	reconcileAtRest(t, gwd)
	for req := range requests.writes() {
		g.Expect(req).NotTo(ContainSubstring("/namespaces/"+ns+"/deployments"), "Portico wrote the Deployment")
	}
	g.Expect(*deployment(t, gwd).Spec.Replicas).To(Equal(int32(5)))

	// kubectl scale is refused while the autoscaler sets the replicas.
	scale := &autoscalingv1.Scale{}
	g.Expect(k8s.SubResource("scale").Get(ctx, gwd, scale)).To(Succeed())
	scale.Spec.Replicas = 9
	err := k8s.SubResource("scale").Update(ctx, gwd, client.WithSubResourceBody(scale))
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("spec.replicas cannot change while spec.autoscaling is set"))

	// Without autoscaling, the spec's replicas are applied again and the autoscaler goes.
	patchSpec(t, gwd, `{"autoscaling":null}`)
	gone(t, gwd, &autoscalingv2.HorizontalPodAutoscaler{})
	g.Eventually(func() int32 { return *deployment(t, gwd).Spec.Replicas }, timeout, interval).Should(Equal(int32(3)))
	g.Expect(deployment(t, gwd).Annotations).NotTo(HaveKey(render.AnnotationReplicas))
}

func TestAutoscalingNeedsTheRequestItMeasuresAgainst(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "unmeasured"},
		Spec: gatewayv1alpha1.GatewayDeploymentSpec{Autoscaling: &gatewayv1alpha1.AutoscalingSpec{
			MaxReplicas: 4, TargetCPUUtilizationPercentage: ptrTo[int32](70)}}}
	err := k8s.Create(context.Background(), gwd)
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("needs resources.requests.cpu"))
	gwd.Spec.Autoscaling.TargetCPUUtilizationPercentage = nil
	err = k8s.Create(context.Background(), gwd)
	g.Expect(err).To(HaveOccurred())
	g.Expect(strings.Contains(err.Error(), "the HorizontalPodAutoscaler needs a metric")).To(BeTrue(), err.Error())
}
