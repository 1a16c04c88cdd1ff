// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/types"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/apply"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/status"
)

// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=autoscaling,resources=horizontalpodautoscalers,verbs=get;list;watch;create;patch;delete

// ReplicasHandoverManager is the field manager that holds a Deployment's replicas for the
// moment the autoscaler takes them over from Portico (handOverReplicas).
const ReplicasHandoverManager = "portico-replicas-handover"

// applyScaling writes the PodDisruptionBudget and the HorizontalPodAutoscaler gwd asks for,
// and removes the ones it no longer does.
func (r *GatewayDeploymentReconciler) applyScaling(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, desired *render.Objects, obs *status.Observed) (time.Duration, error) {
	var errs []error
	budgets, autoscalers := map[string]bool{}, map[string]bool{}
	if desired.PodDisruptionBudget != nil {
		budgets[gwd.Name] = true
		errs = append(errs, apply.Apply(ctx, r.applier, gwd, "PodDisruptionBudget", gwd.Name, &policyv1.PodDisruptionBudget{}, desired.PodDisruptionBudget, nil))
	}
	if desired.HorizontalPodAutoscaler != nil {
		autoscalers[gwd.Name] = true
		hpa := &autoscalingv2.HorizontalPodAutoscaler{}
		errs = append(errs, apply.Apply(ctx, r.applier, gwd, "HorizontalPodAutoscaler", gwd.Name, hpa, desired.HorizontalPodAutoscaler, nil))
		if apply.Found(hpa) {
			obs.Autoscaler = hpa
		}
	}
	errs = append(errs,
		r.prune(ctx, r.Client, gwd, render.ComponentDisruptionBudget, budgets, &policyv1.PodDisruptionBudgetList{}),
		r.prune(ctx, r.Client, gwd, render.ComponentAutoscaler, autoscalers, &autoscalingv2.HorizontalPodAutoscalerList{}))
	return 0, errors.Join(errs...)
}

// handOverReplicas keeps the Deployment's replicas where they are when the autoscaler takes
// them over. Portico's next apply leaves replicas out; were Portico their only owner, the API
// server would drop them and the Deployment would fall back to one pod until the autoscaler
// scaled it up again. A second field manager applying the same number first stays an owner,
// and the autoscaler's scale writes take the field from it.
func (r *GatewayDeploymentReconciler) handOverReplicas(ctx context.Context, live *appsv1.Deployment, desired *appsv1ac.DeploymentApplyConfiguration) error {
	if desired.Annotations[render.AnnotationReplicas] != render.ReplicasAutoscaled ||
		live.Annotations[render.AnnotationReplicas] == render.ReplicasAutoscaled || live.Spec.Replicas == nil {
		return nil
	}
	body, err := json.Marshal(appsv1ac.Deployment(live.Name, live.Namespace).
		WithSpec(appsv1ac.DeploymentSpec().WithReplicas(*live.Spec.Replicas)))
	if err != nil {
		return err
	}
	target := &appsv1.Deployment{}
	target.Namespace, target.Name = live.Namespace, live.Name
	return r.Patch(ctx, target, client.RawPatch(types.ApplyPatchType, body), client.FieldOwner(ReplicasHandoverManager))
}
