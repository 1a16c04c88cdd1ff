// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istiosecurityv1 "istio.io/client-go/pkg/apis/security/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/apply"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/status"
)

// +kubebuilder:rbac:groups=networking.istio.io,resources=destinationrules,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=security.istio.io,resources=peerauthentications,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations,verbs=get;list;watch

// injectorLabel marks Istio's sidecar-injector webhook configurations (every revision's).
var injectorLabel = map[string]string{"app": "sidecar-injector"}

func injectorMetadata() *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(admissionregistrationv1.SchemeGroupVersion.WithKind("MutatingWebhookConfiguration"))
	return m
}

// injectorPresent tells whether an Istio sidecar injector is registered. The cache selects
// just those webhook configurations by label, and keeps only their names (no labels to match).
func (r *GatewayDeploymentReconciler) injectorPresent(ctx context.Context) (bool, error) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(admissionregistrationv1.SchemeGroupVersion.WithKind("MutatingWebhookConfigurationList"))
	if err := r.List(ctx, list); err != nil {
		return false, fmt.Errorf("looking for Istio's sidecar injector: %w", err)
	}
	return len(list.Items) > 0, nil
}

// injectorChanged reconciles the gateways that want sidecars when an injector comes or goes:
// their pods roll, so that ones created without the injector get their sidecar.
func (r *GatewayDeploymentReconciler) injectorChanged(ctx context.Context, _ client.Object) []reconcile.Request {
	return r.gatewaysThat(ctx, func(gwd *gatewayv1alpha1.GatewayDeployment) bool { return gwd.Spec.SidecarsWanted() })
}

func meshObjects() []client.Object {
	return []client.Object{&istionetworkingv1.DestinationRule{}, &istiosecurityv1.PeerAuthentication{}}
}

// applyMesh writes the Istio objects gwd asks for and removes those it no longer does. It
// does nothing while Istio is not installed: there is nothing Portico could own then. It
// asks to be called again after requeueAfter when Istio is arriving.
func (r *GatewayDeploymentReconciler) applyMesh(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, desired *render.Objects, observed *status.Observed) (time.Duration, error) {
	obs := &observed.Mesh
	installed, requeueAfter, err := r.available(ctx, gwd, r.mesh())
	obs.IstioInstalled = installed
	if !installed || err != nil {
		return requeueAfter, err
	}
	var errs []error
	wanted := map[string]bool{}
	for _, dr := range desired.DestinationRules {
		wanted[*dr.Name] = true
		err := apply.Apply(ctx, r.applier, gwd, "DestinationRule", *dr.Name, &istionetworkingv1.DestinationRule{}, dr, nil)
		if err == nil {
			obs.DestinationRules++
		}
		errs = append(errs, err)
	}
	if pa := desired.PeerAuthentication; pa != nil {
		wanted[*pa.Name] = true
		err := apply.Apply(ctx, r.applier, gwd, "PeerAuthentication", *pa.Name, &istiosecurityv1.PeerAuthentication{}, pa, nil)
		obs.PeerAuthentication = err == nil
		errs = append(errs, err)
	}
	errs = append(errs,
		r.prune(ctx, r.Client, gwd, render.ComponentMesh, wanted, &istionetworkingv1.DestinationRuleList{}),
		r.prune(ctx, r.Client, gwd, render.ComponentMesh, wanted, &istiosecurityv1.PeerAuthenticationList{}))
	return 0, errors.Join(errs...)
}
