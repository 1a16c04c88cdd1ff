// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"time"

	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istiosecurityv1 "istio.io/client-go/pkg/apis/security/v1"
	istionetworkingac "istio.io/client-go/pkg/applyconfiguration/networking/v1"
	istiosecurityac "istio.io/client-go/pkg/applyconfiguration/security/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/status"
)

// +kubebuilder:rbac:groups=networking.istio.io,resources=destinationrules,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=security.istio.io,resources=peerauthentications,verbs=get;list;watch;create;patch;delete

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
		err := applyIfChanged(ctx, r, gwd, "DestinationRule", *dr.Name, &istionetworkingv1.DestinationRule{}, dr,
			liveFields[*istionetworkingv1.DestinationRule, istionetworkingac.DestinationRuleApplyConfiguration], nil)
		if err == nil {
			obs.DestinationRules++
		}
		errs = append(errs, err)
	}
	if pa := desired.PeerAuthentication; pa != nil {
		wanted[*pa.Name] = true
		err := applyIfChanged(ctx, r, gwd, "PeerAuthentication", *pa.Name, &istiosecurityv1.PeerAuthentication{}, pa,
			liveFields[*istiosecurityv1.PeerAuthentication, istiosecurityac.PeerAuthenticationApplyConfiguration], nil)
		obs.PeerAuthentication = err == nil
		errs = append(errs, err)
	}
	errs = append(errs,
		r.prune(ctx, gwd, render.ComponentMesh, wanted, &istionetworkingv1.DestinationRuleList{}),
		r.prune(ctx, gwd, render.ComponentMesh, wanted, &istiosecurityv1.PeerAuthenticationList{}))
	return 0, errors.Join(errs...)
}
