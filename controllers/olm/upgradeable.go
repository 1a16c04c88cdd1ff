// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package olm reports to the Operator Lifecycle Manager: the Upgradeable condition that
// holds back an operator upgrade while a gateway is rolling out.
package olm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	apiv2 "github.com/operator-framework/api/pkg/operators/v2"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
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

// serviceAccountNamespaceFile holds the pod's namespace wherever a service-account token is
// mounted.
const serviceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// OperatorConditionKey names this operator's OperatorCondition: OLM puts its name in
// OPERATOR_CONDITION_NAME, and it lives in the operator's namespace, read from the
// service-account file or, where none is mounted, from POD_NAMESPACE (the downward API, set
// in the CSV's Deployment). An error means OLM does not manage this operator.
func OperatorConditionKey(getenv func(string) string, namespaceFile string) (types.NamespacedName, error) {
	name := getenv("OPERATOR_CONDITION_NAME")
	if name == "" {
		return types.NamespacedName{}, errors.New("OPERATOR_CONDITION_NAME is not set")
	}
	namespace := ""
	if raw, err := os.ReadFile(namespaceFile); err == nil {
		namespace = strings.TrimSpace(string(raw))
	}
	if namespace == "" {
		namespace = getenv("POD_NAMESPACE")
	}
	if namespace == "" {
		return types.NamespacedName{}, fmt.Errorf("OPERATOR_CONDITION_NAME is %q but the operator's namespace is unknown: neither %s nor POD_NAMESPACE gives it", name, namespaceFile)
	}
	return types.NamespacedName{Namespace: namespace, Name: name}, nil
}

// OperatorCondition is one condition type of this operator's OperatorCondition. OLM grants
// the operator get, update and patch on that one object, never list or watch: it must be read
// and written without the informer cache, or the cache would start an informer that can
// never sync, and the operator would never be ready.
type OperatorCondition struct {
	Client client.Client // uncached
	Key    types.NamespacedName
	Type   string
}

// Get returns the condition, or nil when it is not set.
func (c OperatorCondition) Get(ctx context.Context) (*metav1.Condition, error) {
	oc := &apiv2.OperatorCondition{}
	if err := c.Client.Get(ctx, c.Key, oc); err != nil {
		return nil, err
	}
	return meta.FindStatusCondition(oc.Spec.Conditions, c.Type), nil
}

// Set writes the condition into the OperatorCondition's spec, where OLM reads it.
func (c OperatorCondition) Set(ctx context.Context, want metav1.Condition) error {
	oc := &apiv2.OperatorCondition{}
	if err := c.Client.Get(ctx, c.Key, oc); err != nil {
		return err
	}
	want.Type = c.Type
	if !meta.SetStatusCondition(&oc.Spec.Conditions, want) {
		return nil
	}
	return c.Client.Update(ctx, oc)
}

// NewUpgradeableReporter returns the reporter for this operator's OperatorCondition, with a
// client of its own that bypasses the manager's cache, or an error when OLM does not manage
// the operator.
func NewUpgradeableReporter(mgr manager.Manager) (*UpgradeableReporter, error) {
	key, err := OperatorConditionKey(os.Getenv, serviceAccountNamespaceFile)
	if err != nil {
		return nil, err
	}
	uncached, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return nil, err
	}
	return &UpgradeableReporter{Client: mgr.GetClient(),
		Condition: OperatorCondition{Client: uncached, Key: key, Type: apiv2.Upgradeable}}, nil
}

// UpgradeableReporter keeps Upgradeable False while any GatewayDeployment is rolling out,
// so that OLM does not replace the operator in the middle of one.
type UpgradeableReporter struct {
	client.Client // cached: GatewayDeployments
	Condition     OperatorCondition

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
	if err := r.Condition.Set(ctx, want); err != nil {
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
		return metav1.Condition{Type: apiv2.Upgradeable, Status: metav1.ConditionTrue, Reason: ReasonNoRolloutRunning,
			Message: "No GatewayDeployment is rolling out or rotating its Konnect certificate."}
	}
	sort.Strings(busy)
	shown := busy
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(busy)-5))
	}
	return metav1.Condition{Type: apiv2.Upgradeable, Status: metav1.ConditionFalse, Reason: ReasonRolloutInProgress,
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
