// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/capability"
)

// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=get;list;watch

// discoveryLag is how soon to look again when a capability's CRDs exist but the API server's
// discovery does not serve their kinds yet: it publishes new kinds a moment after the CRD
// events, and no further event would come.
const discoveryLag = 2 * time.Second

// optional is an optional capability, the objects to watch once it is there, and which
// GatewayDeployments need it.
type optional struct {
	capability *capability.Capability
	owned      []client.Object
	needs      func(*gatewayv1alpha1.GatewayDeployment) bool
}

func (r *GatewayDeploymentReconciler) mesh() optional {
	return optional{r.Mesh, meshObjects(), func(gwd *gatewayv1alpha1.GatewayDeployment) bool { return gwd.Spec.MeshRequested() }}
}

func (r *GatewayDeploymentReconciler) routes() optional {
	return optional{r.Routes, routeObjects(), func(gwd *gatewayv1alpha1.GatewayDeployment) bool { return gwd.Spec.Route != nil }}
}

// securityConstraints is needed by every gateway: whether the cluster assigns UIDs decides
// whether the gateway's container names one.
func (r *GatewayDeploymentReconciler) securityConstraints() optional {
	return optional{r.SecurityConstraints, nil, func(*gatewayv1alpha1.GatewayDeployment) bool { return true }}
}

func (r *GatewayDeploymentReconciler) optionals() []optional {
	return []optional{r.mesh(), r.routes(), r.securityConstraints()}
}

// available tells an apply step whether its capability is there. For a GatewayDeployment
// that needs it, it looks again while the capability's CRDs are new, and asks for another
// look after a while when discovery has not caught up yet.
func (r *GatewayDeploymentReconciler) available(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, o optional) (bool, time.Duration, error) {
	if !o.needs(gwd) || o.capability.Available() || !r.arriving(ctx, o.capability) {
		return o.capability.Available(), 0, nil
	}
	if !o.capability.Detect(r.mapper) {
		return false, discoveryLag, nil
	}
	if err := r.watch(o); err != nil {
		return false, 0, fmt.Errorf("watching newly installed kinds: %w", err)
	}
	return true, 0, nil
}

// detectAll checks every optional capability, at start-up, and watches the ones there.
func (r *GatewayDeploymentReconciler) detectAll() error {
	for _, o := range r.optionals() {
		if o.capability.Detect(r.mapper) {
			if err := r.watch(o); err != nil {
				return err
			}
		}
	}
	return nil
}

// crdChanged runs when a CRD comes, changes or goes. When an optional capability appears,
// the controller starts watching its kinds; either way every GatewayDeployment that needs it
// is reconciled again, so that none waits for a restart.
func (r *GatewayDeploymentReconciler) crdChanged(ctx context.Context, crd client.Object) []reconcile.Request {
	var affected []optional
	for _, o := range r.optionals() {
		if !o.capability.CRDNames[crd.GetName()] {
			continue
		}
		affected = append(affected, o)
		if o.capability.Detect(r.mapper) {
			if err := r.watch(o); err != nil {
				log.FromContext(ctx).Error(err, "watching newly installed kinds", "crd", crd.GetName())
			}
		}
	}
	if len(affected) == 0 {
		return nil
	}
	return r.gatewaysThat(ctx, func(gwd *gatewayv1alpha1.GatewayDeployment) bool {
		for _, o := range affected {
			if o.needs(gwd) {
				return true
			}
		}
		return false
	})
}

// gatewaysThat names every GatewayDeployment for which match holds.
func (r *GatewayDeploymentReconciler) gatewaysThat(ctx context.Context, match func(*gatewayv1alpha1.GatewayDeployment) bool) []reconcile.Request {
	list := &gatewayv1alpha1.GatewayDeploymentList{}
	if err := r.List(ctx, list); err != nil {
		log.FromContext(ctx).Error(err, "listing GatewayDeployments")
		return nil
	}
	var requests []reconcile.Request
	for i := range list.Items {
		if match(&list.Items[i]) {
			requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return requests
}

// watch starts watching a capability's kinds, once.
func (r *GatewayDeploymentReconciler) watch(o optional) error {
	if !o.capability.StartWatching() {
		return nil
	}
	for _, obj := range o.owned {
		if err := r.controller.Watch(source.Kind(r.cache, obj, handler.EnqueueRequestsFromMapFunc(gatewayOfChild))); err != nil {
			o.capability.StopWatching()
			return err
		}
	}
	return nil
}

// arriving tells, from the cached CRD names, whether a capability's CRDs are there and new
// (less than a minute old). Older ones that still serve none of its kinds belong to a
// version Portico does not support, and polling discovery for them would never end.
func (r *GatewayDeploymentReconciler) arriving(ctx context.Context, c *capability.Capability) bool {
	crds := &metav1.PartialObjectMetadataList{}
	crds.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinitionList"))
	if err := r.List(ctx, crds); err != nil {
		return false
	}
	found, newest := 0, time.Time{}
	for _, crd := range crds.Items {
		if c.CRDNames[crd.Name] {
			found++
			if crd.CreationTimestamp.After(newest) {
				newest = crd.CreationTimestamp.Time
			}
		}
	}
	return found == len(c.CRDNames) && r.Clock.Since(newest) < time.Minute
}
