// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// DesiredReplicas is how many pods the gateway should run now: the spec's replicas, or,
// while the autoscaler sets them, the Deployment's (its minimum before there is one).
func DesiredReplicas(gwd *gatewayv1alpha1.GatewayDeployment, d *appsv1.Deployment) int32 {
	switch {
	case gwd.Spec.Autoscaling == nil:
		return gwd.Spec.DesiredReplicas()
	case d != nil && d.Spec.Replicas != nil:
		return *d.Spec.Replicas
	}
	return gwd.Spec.Autoscaling.MinReplicasOrDefault()
}

// autoscaling reports the autoscaler's replicas and judges whether it can scale, when the
// spec asks for one. Its failures do not make Ready False: the pods serve either way.
func (a *assessment) autoscaling() {
	if a.gwd.Spec.Autoscaling == nil {
		a.absent(gatewayv1alpha1.ConditionAutoscaling)
		return
	}
	hpa := a.obs.Autoscaler
	if hpa != nil {
		a.st.Autoscaling = &gatewayv1alpha1.AutoscalingStatus{
			CurrentReplicas: hpa.Status.CurrentReplicas, DesiredReplicas: hpa.Status.DesiredReplicas,
			LastScaleTime: hpa.Status.LastScaleTime,
		}
	}
	a.add(autoscalingCondition(hpa))
}

// autoscalingCondition reads the autoscaler's own conditions: unable to scale, or unable to
// compute its metrics, is False with its reason and message.
func autoscalingCondition(hpa *autoscalingv2.HorizontalPodAutoscaler) metav1.Condition {
	c := metav1.Condition{Type: gatewayv1alpha1.ConditionAutoscaling, Status: metav1.ConditionUnknown, Reason: gatewayv1alpha1.ReasonReconciling}
	if hpa == nil {
		c.Message = "Waiting for the HorizontalPodAutoscaler to be created."
		return c
	}
	var active *autoscalingv2.HorizontalPodAutoscalerCondition
	for i := range hpa.Status.Conditions {
		hc := &hpa.Status.Conditions[i]
		if hc.Status == corev1.ConditionFalse && (hc.Type == autoscalingv2.AbleToScale || hc.Type == autoscalingv2.ScalingActive) {
			c.Status, c.Reason = metav1.ConditionFalse, hc.Reason
			c.Message = fmt.Sprintf("HorizontalPodAutoscaler %s: %s", hpa.Name, hc.Message)
			return c
		}
		if hc.Type == autoscalingv2.ScalingActive {
			active = hc
		}
	}
	if active == nil {
		c.Message = fmt.Sprintf("Waiting for HorizontalPodAutoscaler %s to read its metrics.", hpa.Name)
		return c
	}
	c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonScalingActive
	c.Message = fmt.Sprintf("HorizontalPodAutoscaler %s scales between %d and %d pods; it wants %d.",
		hpa.Name, minReplicas(hpa), hpa.Spec.MaxReplicas, hpa.Status.DesiredReplicas)
	return c
}

func minReplicas(hpa *autoscalingv2.HorizontalPodAutoscaler) int32 {
	if hpa.Spec.MinReplicas == nil {
		return 1
	}
	return *hpa.Spec.MinReplicas
}
