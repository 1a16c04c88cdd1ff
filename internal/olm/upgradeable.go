// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package olm reports to the Operator Lifecycle Manager: the Upgradeable condition that
// holds back an operator upgrade while a gateway is rolling out.
package olm

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	apiv2 "github.com/operator-framework/api/pkg/operators/v2"
	"github.com/operator-framework/operator-lib/conditions"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// Reasons of the Upgradeable condition.
const (
	ReasonRolloutInProgress = "RolloutInProgress"
	ReasonNoRolloutRunning  = "NoRolloutRunning"
)

// UpgradeableCondition is OLM's Upgradeable condition of this operator, or an error when OLM
// does not manage it (no OPERATOR_CONDITION_NAME, or not running in a pod).
func UpgradeableCondition(c client.Client) (conditions.Condition, error) {
	return conditions.InClusterFactory{Client: c}.NewCondition(apiv2.ConditionType(apiv2.Upgradeable))
}

// UpgradeableReporter keeps Upgradeable False while any GatewayDeployment is rolling out,
// so that OLM does not replace the operator in the middle of one.
type UpgradeableReporter struct {
	client.Client
	Condition conditions.Condition

	mu   sync.Mutex
	last *metav1.Condition // what was last written: an unchanged verdict writes nothing
}

// Reconcile judges every GatewayDeployment, whichever one changed.
func (r *UpgradeableReporter) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	list := &gatewayv1alpha1.GatewayDeploymentList{}
	if err := r.List(ctx, list); err != nil {
		return ctrl.Result{}, err
	}
	want := Verdict(list.Items)

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last != nil && r.last.Status == want.Status && r.last.Reason == want.Reason && r.last.Message == want.Message {
		return ctrl.Result{}, nil
	}
	if err := r.Condition.Set(ctx, want.Status, conditions.WithReason(want.Reason), conditions.WithMessage(want.Message)); err != nil {
		return ctrl.Result{}, fmt.Errorf("setting OLM's Upgradeable condition: %w", err)
	}
	r.last = &want
	return ctrl.Result{}, nil
}

// Verdict is the Upgradeable condition for these GatewayDeployments.
func Verdict(gateways []gatewayv1alpha1.GatewayDeployment) metav1.Condition {
	var busy []string
	for i := range gateways {
		conditions := gateways[i].Status.Conditions
		progressing := meta.IsStatusConditionTrue(conditions, gatewayv1alpha1.ConditionProgressing)
		// An operator replaced mid-rotation would leave the old certificate pinned until the
		// new one finished it: wait for the rotation too.
		rotating := false
		if c := meta.FindStatusCondition(conditions, gatewayv1alpha1.ConditionKonnectRegistered); c != nil {
			rotating = c.Reason == gatewayv1alpha1.ReasonCertificateRotating
		}
		if progressing || rotating {
			busy = append(busy, gateways[i].Namespace+"/"+gateways[i].Name)
		}
	}
	if len(busy) == 0 {
		return metav1.Condition{Type: string(apiv2.Upgradeable), Status: metav1.ConditionTrue, Reason: ReasonNoRolloutRunning,
			Message: "No GatewayDeployment is rolling out or rotating its Konnect certificate."}
	}
	sort.Strings(busy)
	shown := busy
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(busy)-5))
	}
	return metav1.Condition{Type: string(apiv2.Upgradeable), Status: metav1.ConditionFalse, Reason: ReasonRolloutInProgress,
		Message: fmt.Sprintf("%d GatewayDeployments are rolling out or rotating their Konnect certificate: %s.", len(busy), strings.Join(shown, ", "))}
}

// SetupWithManager registers the reporter. One worker: every reconcile judges them all. It
// also states the verdict once at start: OLM reads a missing condition as opting out, and
// with no GatewayDeployment there would be no event to state it.
func (r *UpgradeableReporter) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		if _, err := r.Reconcile(ctx, ctrl.Request{}); err != nil {
			// Not fatal: the next GatewayDeployment event tries again.
			log.FromContext(ctx).Error(err, "stating OLM's Upgradeable condition at start")
		}
		return nil
	})); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&gatewayv1alpha1.GatewayDeployment{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: 1}).
		Named("olm-upgradeable").
		Complete(r)
}
