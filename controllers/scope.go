// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"cmp"
	"context"
	"errors"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/apply"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/status"
)

// scope is one reconcile of one gateway: what its steps read and leave for the next ones, in
// one place. The status is written once, at the end, from it (writeStatus).
type scope struct {
	gwd *gatewayv1alpha1.GatewayDeployment
	key types.NamespacedName

	konnect *konnectRun
	config  configRun
	tls     tlsRun
	inputs  render.Inputs
	desired *render.Objects
	obs     status.Observed

	// requeue is the soonest any step asked to run again; 0 is none.
	requeue time.Duration
	// errs are failures that end the reconcile in error once the status is written.
	errs []error
	// configErr and tlsErr are the failures of the steps that copy, which may be a child
	// conflict (the copy's name taken).
	configErr, tlsErr error
	// stop ends the list of steps early; the status is still written.
	stop bool
	// finalizing is, while the gateway is being deleted, the condition its finalize steps
	// report (nil: nothing to say).
	finalizing *metav1.Condition
}

// held tells whether the Deployment is left as it is (a configuration or certificates that
// cannot be used): its pods may mount any copy.
func (s *scope) held() bool { return s.config.hold || s.tls.hold }

func (s *scope) after(d time.Duration) { s.requeue = soonest(s.requeue, d) }

// reconcileStep is one step of a reconcile. An error aborts the reconcile without writing
// the status: it is a read that failed, and the retry reads again. Failures the status
// reports go into the scope instead.
type reconcileStep func(ctx context.Context, s *scope) error

// steps are the reconcile of a live gateway, in order: the table of contents.
func (r *GatewayDeploymentReconciler) steps() []reconcileStep {
	return []reconcileStep{
		r.stepRegisterWithKonnect, // the registration the pods connect with (konnect.go)
		r.stepReadPlatform,        // who assigns UIDs, whether Istio injects (capabilities.go, mesh.go)
		r.stepCheckConfig,         // the Kong configuration, checked and copied (config.go)
		r.stepCheckTLS,            // the listener certificates, checked and copied (tls.go)
		r.stepRender,              // the desired children (internal/render)
		r.stepApply,               // Deployment and Service, budget and autoscaler, Istio's objects, the Route
		r.stepObservePods,         // the gateway's pods, for status
		r.stepPruneCopies,         // copies no pod can need any more (config.go)
		r.stepFinishKonnect,       // rotation, unpinning, the data planes' check-ins (konnect.go)
	}
}

// finalizeSteps are the reconcile of a gateway being deleted: the garbage collector removes
// the children through their owner references; only Konnect's pinned certificates need
// Portico.
func (r *GatewayDeploymentReconciler) finalizeSteps() []reconcileStep {
	return []reconcileStep{r.stepFinalizeKonnect}
}

func (r *GatewayDeploymentReconciler) stepRegisterWithKonnect(ctx context.Context, s *scope) (err error) {
	s.konnect, err = r.konnect.prepareKonnect(ctx, s.gwd)
	if err == nil {
		s.inputs.Konnect = s.konnect.render
	}
	return err
}

func (r *GatewayDeploymentReconciler) stepReadPlatform(ctx context.Context, s *scope) error {
	assignsUID, lag, err := r.available(ctx, s.gwd, r.securityConstraints())
	if err != nil {
		return err
	}
	s.inputs.AssignsUID = assignsUID
	s.after(lag)
	if !s.gwd.Spec.SidecarsWanted() {
		return nil
	}
	injectors, err := r.injectors(ctx)
	if err != nil || len(injectors) == 0 {
		return err
	}
	s.inputs.InjectorPresent = true
	return r.followSidecarRevision(ctx, s, injectors)
}

func (r *GatewayDeploymentReconciler) stepCheckConfig(ctx context.Context, s *scope) error {
	var err error
	s.config, err = r.resolveConfig(ctx, s.gwd)
	s.configErr = err
	s.obs.Config = s.config.observed
	s.inputs.Config, s.inputs.ConfigUpstreamHosts = s.config.render, s.config.upstreamHosts
	if s.config.recheck {
		s.after(cmp.Or(r.ConflictRecheck, DefaultConflictRecheck))
	}
	if err != nil {
		s.config.hold = true // the copy may not be there: never roll onto it
	}
	return nil
}

func (r *GatewayDeploymentReconciler) stepCheckTLS(ctx context.Context, s *scope) error {
	var err error
	s.tls, err = r.resolveTLS(ctx, s.gwd)
	s.obs.TLS, s.inputs.TLS = s.tls.observed, s.tls.render
	s.after(s.tls.after)
	if s.tls.recheck {
		s.after(cmp.Or(r.ConflictRecheck, DefaultConflictRecheck))
	}
	s.tlsErr = err
	if err != nil {
		s.tls.hold = true // the copy may not be there: never roll onto it
	}
	return nil
}

func (r *GatewayDeploymentReconciler) stepRender(_ context.Context, s *scope) error {
	s.inputs.GatewayDeployment, s.inputs.DefaultImage, s.inputs.ProxyEnv = s.gwd, r.DefaultImage, r.ProxyEnv
	desired, err := render.Render(s.inputs)
	if err != nil {
		s.obs.ApplyError, s.stop = err, true
		s.errs = append(s.errs, err)
		return nil
	}
	if s.held() {
		// Never roll the pods onto a configuration or certificates that cannot be used: the
		// Deployment stays exactly as it is.
		desired.Deployment = nil
	}
	if len(desired.DestinationRules) > 0 {
		s.obs.Mesh.UpstreamHosts = render.UpstreamHosts(s.inputs)
	}
	s.desired = desired
	return nil
}

// stepApply writes the children, each part side by side with its own failures: a failed
// Route does not keep the Deployment from being written.
func (r *GatewayDeploymentReconciler) stepApply(ctx context.Context, s *scope) error {
	errs := []error{s.configErr, s.tlsErr}
	for _, part := range []applyStep{r.applyChildren, r.applyScaling, r.applyMesh, r.applyRoute} {
		after, err := part(ctx, s.gwd, s.desired, &s.obs)
		s.after(after)
		errs = append(errs, err)
	}
	// Until the cache shows the Deployment Portico last wrote, what it says of the rollout is
	// of a previous spec: neither status nor the pruning of copies may take it as this one's.
	s.obs.DeploymentBehind = s.obs.Deployment != nil && r.applier.Behind(s.gwd, apply.ChildKey("Deployment", s.gwd.Name), s.obs.Deployment)
	conflicts, applyErr := apply.TakeConflicts(errors.Join(errs...))
	s.obs.ApplyError = applyErr
	s.errs = append(s.errs, applyErr)
	if len(conflicts) == 0 {
		r.conflictsTold.Delete(s.key)
		return nil
	}
	r.tellConflicts(s.gwd, s.key, conflicts, &s.obs)
	s.after(cmp.Or(r.ConflictRecheck, DefaultConflictRecheck))
	return nil
}

func (r *GatewayDeploymentReconciler) stepObservePods(ctx context.Context, s *scope) error {
	pods, err := r.observePods(ctx, s.gwd)
	s.obs.Pods = pods
	s.errs = append(s.errs, err)
	return nil
}

func (r *GatewayDeploymentReconciler) stepPruneCopies(ctx context.Context, s *scope) error {
	var config, tls string
	if s.config.render != nil {
		config = s.config.render.Name
	}
	if s.tls.render != nil {
		tls = s.tls.render.SecretName
	}
	// A cached Deployment older than Portico's last write may be complete on the previous
	// copies, still mounted: its update event brings the reconcile that prunes.
	held := s.held() || s.obs.DeploymentBehind
	s.errs = append(s.errs,
		r.pruneCopies(ctx, s.gwd, render.ComponentConfig, config, held, s.obs.Deployment),
		r.pruneCopies(ctx, s.gwd, render.ComponentTLS, tls, held, s.obs.Deployment))
	return nil
}

func (r *GatewayDeploymentReconciler) stepFinishKonnect(ctx context.Context, s *scope) error {
	s.errs = append(s.errs, r.konnect.finishKonnect(ctx, s.gwd, s.konnect, &s.obs))
	s.after(s.konnect.requeue)
	return nil
}

func (r *GatewayDeploymentReconciler) stepFinalizeKonnect(ctx context.Context, s *scope) error {
	after, condition, err := r.konnect.finalizeKonnect(ctx, s.gwd)
	s.after(after)
	s.finalizing = condition
	return err
}

// writeStatus is the one status writer: the assessed status of a live gateway, or the
// condition its finalize steps report while it is being deleted.
func (r *GatewayDeploymentReconciler) writeStatus(ctx context.Context, s *scope) error {
	if !s.gwd.DeletionTimestamp.IsZero() {
		if s.finalizing == nil {
			return nil
		}
		return r.konnect.setCondition(ctx, s.gwd, *s.finalizing)
	}
	folded, err := r.patchStatus(ctx, s.gwd, s.obs)
	s.after(folded)
	return err
}
