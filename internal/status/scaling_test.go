// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

func TestAutoscalingCondition(t *testing.T) {
	hpa := func(conditions ...autoscalingv2.HorizontalPodAutoscalerCondition) *autoscalingv2.HorizontalPodAutoscaler {
		h := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "edge"}}
		h.Spec.MinReplicas, h.Spec.MaxReplicas, h.Status.DesiredReplicas = ptr.To[int32](2), 6, 4
		h.Status.Conditions = conditions
		return h
	}
	able := autoscalingv2.HorizontalPodAutoscalerCondition{Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue, Reason: "ReadyForNewScale"}
	for name, c := range map[string]struct {
		hpa    *autoscalingv2.HorizontalPodAutoscaler
		status metav1.ConditionStatus
		reason string
	}{
		"not there yet": {nil, metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling},
		"not assessed":  {hpa(), metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling},
		"no metrics": {hpa(able, autoscalingv2.HorizontalPodAutoscalerCondition{Type: autoscalingv2.ScalingActive, Status: corev1.ConditionFalse,
			Reason: "FailedGetResourceMetric", Message: "no metrics returned"}), metav1.ConditionFalse, "FailedGetResourceMetric"},
		"cannot scale": {hpa(autoscalingv2.HorizontalPodAutoscalerCondition{Type: autoscalingv2.AbleToScale, Status: corev1.ConditionFalse,
			Reason: "FailedGetScale", Message: "deployments not found"}), metav1.ConditionFalse, "FailedGetScale"},
		"scaling": {hpa(able, autoscalingv2.HorizontalPodAutoscalerCondition{Type: autoscalingv2.ScalingActive, Status: corev1.ConditionTrue,
			Reason: "ValidMetricFound"}), metav1.ConditionTrue, gatewayv1alpha1.ReasonScalingActive},
	} {
		got := autoscalingCondition(c.hpa)
		if got.Status != c.status || got.Reason != c.reason {
			t.Errorf("%s: got %s/%s (%s), want %s/%s", name, got.Status, got.Reason, got.Message, c.status, c.reason)
		}
	}
}

func TestDesiredReplicasFollowTheAutoscaler(t *testing.T) {
	gwd := &gatewayv1alpha1.GatewayDeployment{Spec: gatewayv1alpha1.GatewayDeploymentSpec{Replicas: ptr.To[int32](3)}}
	if got := DesiredReplicas(gwd, nil); got != 3 {
		t.Errorf("without autoscaling: %d, want the spec's 3", got)
	}
	gwd.Spec.Autoscaling = &gatewayv1alpha1.AutoscalingSpec{MinReplicas: ptr.To[int32](2), MaxReplicas: 8}
	if got := DesiredReplicas(gwd, nil); got != 2 {
		t.Errorf("autoscaled, no Deployment yet: %d, want the minimum 2", got)
	}
	d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](7)}}
	if got := DesiredReplicas(gwd, d); got != 7 {
		t.Errorf("autoscaled: %d, want the Deployment's 7", got)
	}
}
