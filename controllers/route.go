// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"errors"
	"time"

	routev1 "github.com/openshift/api/route/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/apply"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/status"
)

// +kubebuilder:rbac:groups=route.openshift.io,resources=routes,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=route.openshift.io,resources=routes/custom-host,verbs=create;update

func routeObjects() []client.Object { return []client.Object{&routev1.Route{}} }

// applyRoute writes the Route gwd asks for, or removes the one it no longer does. Where
// Routes do not exist it does nothing: the status says why.
func (r *GatewayDeploymentReconciler) applyRoute(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, desired *render.Objects, observed *status.Observed) (time.Duration, error) {
	obs := &observed.Route
	openShift, requeueAfter, err := r.available(ctx, gwd, r.routes())
	obs.OpenShift = openShift
	if !openShift || err != nil {
		return requeueAfter, err
	}
	wanted := map[string]bool{}
	var applyErr error
	if desired.Route != nil {
		wanted[desired.Route.GetName()] = true
		route := &routev1.Route{}
		applyErr = apply.Apply(ctx, r.applier, gwd, "Route", desired.Route.GetName(), route, desired.Route, nil)
		if apply.Found(route) {
			obs.Route = route
		}
	}
	return 0, errors.Join(applyErr, r.prune(ctx, r.Client, gwd, render.ComponentRoute, wanted, &routev1.RouteList{}))
}
