// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	autoscalingv2ac "k8s.io/client-go/applyconfigurations/autoscaling/v2"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	policyv1ac "k8s.io/client-go/applyconfigurations/policy/v1"

	"github.com/portico-dev/portico/internal/convert"
)

const (
	// ComponentDisruptionBudget and ComponentAutoscaler are the app.kubernetes.io/component
	// of the gateway's PodDisruptionBudget and HorizontalPodAutoscaler.
	ComponentDisruptionBudget = "disruption-budget"
	ComponentAutoscaler       = "autoscaler"
	// AnnotationReplicas on the Deployment says who sets its replicas: "autoscaled" while
	// the HorizontalPodAutoscaler does. Its absence on a live Deployment that is to be
	// autoscaled is how the apply knows to hand the replicas over first.
	AnnotationReplicas = "gateway.portico.dev/replicas"
	ReplicasAutoscaled = "autoscaled"
)

// PodDisruptionBudget builds the gateway's budget for voluntary disruptions, or nil when the
// spec asks for none (gatewayv1alpha1.GatewayDeploymentSpec.DisruptionBudget).
func PodDisruptionBudget(in Inputs) (*policyv1ac.PodDisruptionBudgetApplyConfiguration, error) {
	gwd := in.GatewayDeployment
	budget := gwd.Spec.DisruptionBudget()
	if budget == nil {
		return nil, nil
	}
	spec := policyv1ac.PodDisruptionBudgetSpec().
		WithSelector(metav1ac.LabelSelector().WithMatchLabels(gwd.SelectorLabels()))
	if budget.MinAvailable != nil {
		spec.WithMinAvailable(*budget.MinAvailable)
	}
	if budget.MaxUnavailable != nil {
		spec.WithMaxUnavailable(*budget.MaxUnavailable)
	}
	pdb := policyv1ac.PodDisruptionBudget(gwd.Name, gwd.Namespace).
		WithLabels(Labels(gwd, ComponentDisruptionBudget)).
		WithOwnerReferences(ownerReference(gwd)).
		WithSpec(spec)
	return pdb, stampSpecHash(pdb, pdb.WithAnnotations)
}

// HorizontalPodAutoscaler builds the gateway's autoscaler, or nil without spec.autoscaling.
func HorizontalPodAutoscaler(in Inputs) (*autoscalingv2ac.HorizontalPodAutoscalerApplyConfiguration, error) {
	gwd := in.GatewayDeployment
	a := gwd.Spec.Autoscaling
	if a == nil {
		return nil, nil
	}
	spec := autoscalingv2ac.HorizontalPodAutoscalerSpec().
		WithScaleTargetRef(autoscalingv2ac.CrossVersionObjectReference().
			WithAPIVersion("apps/v1").WithKind("Deployment").WithName(gwd.Name)).
		WithMinReplicas(a.MinReplicasOrDefault()).
		WithMaxReplicas(a.MaxReplicas)
	for _, target := range []struct {
		resource corev1.ResourceName
		percent  *int32
	}{{corev1.ResourceCPU, a.TargetCPUUtilizationPercentage}, {corev1.ResourceMemory, a.TargetMemoryUtilizationPercentage}} {
		if target.percent != nil {
			spec.WithMetrics(autoscalingv2ac.MetricSpec().
				WithType(autoscalingv2.ResourceMetricSourceType).
				WithResource(autoscalingv2ac.ResourceMetricSource().WithName(target.resource).
					WithTarget(autoscalingv2ac.MetricTarget().
						WithType(autoscalingv2.UtilizationMetricType).WithAverageUtilization(*target.percent))))
		}
	}
	if a.Behavior != nil {
		behavior, err := convert.To[autoscalingv2ac.HorizontalPodAutoscalerBehaviorApplyConfiguration](a.Behavior)
		if err != nil {
			return nil, err
		}
		spec.WithBehavior(behavior)
	}
	hpa := autoscalingv2ac.HorizontalPodAutoscaler(gwd.Name, gwd.Namespace).
		WithLabels(Labels(gwd, ComponentAutoscaler)).
		WithOwnerReferences(ownerReference(gwd)).
		WithSpec(spec)
	return hpa, stampSpecHash(hpa, hpa.WithAnnotations)
}
