// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istiosecurityv1 "istio.io/client-go/pkg/apis/security/v1"
	istionetworkingac "istio.io/client-go/pkg/applyconfiguration/networking/v1"
	istiosecurityac "istio.io/client-go/pkg/applyconfiguration/security/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/mesh"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/status"
)

// +kubebuilder:rbac:groups=networking.istio.io,resources=destinationrules,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=security.istio.io,resources=peerauthentications,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=get;list;watch

// discoveryLag is how soon to look again when Istio's CRDs exist but the API server's
// discovery does not serve their kinds yet: it publishes new kinds a moment after the CRD
// events, and no further event would come.
const discoveryLag = 2 * time.Second

// applyMesh writes the Istio objects gwd asks for and removes those it no longer does. It
// does nothing while Istio is not installed: there is nothing Portico could own then. It
// asks to be called again after requeueAfter when Istio is arriving.
func (r *GatewayDeploymentReconciler) applyMesh(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, desired *render.Objects) (obs status.MeshObserved, requeueAfter time.Duration, err error) {
	if !r.Mesh.Available() && render.MeshRequested(gwd) && r.istioArriving(ctx) {
		if r.Mesh.Detect(r.mapper) {
			if err := r.watchIstio(); err != nil {
				return obs, 0, fmt.Errorf("watching Istio's kinds: %w", err)
			}
		} else {
			requeueAfter = discoveryLag
		}
	}
	obs.IstioInstalled = r.Mesh.Available()
	if !obs.IstioInstalled {
		return obs, requeueAfter, nil
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
	errs = append(errs, r.prune(ctx, gwd, wanted, &istionetworkingv1.DestinationRuleList{}), r.prune(ctx, gwd, wanted, &istiosecurityv1.PeerAuthenticationList{}))
	return obs, 0, errors.Join(errs...)
}

// istioArriving tells, from the cached CRD names, whether Istio's CRDs are there and new
// (less than a minute old). Older ones that still serve no v1 kinds belong to an Istio too
// old for Portico, and polling discovery for them would never end.
func (r *GatewayDeploymentReconciler) istioArriving(ctx context.Context) bool {
	crds := &metav1.PartialObjectMetadataList{}
	crds.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinitionList"))
	if err := r.List(ctx, crds); err != nil {
		return false
	}
	found, newest := 0, time.Time{}
	for _, crd := range crds.Items {
		if mesh.CRDNames[crd.Name] {
			found++
			if crd.CreationTimestamp.After(newest) {
				newest = crd.CreationTimestamp.Time
			}
		}
	}
	return found == len(mesh.CRDNames) && r.Clock.Since(newest) < time.Minute
}

// prune deletes the mesh objects of gwd that are not wanted any more.
func (r *GatewayDeploymentReconciler) prune(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, wanted map[string]bool, list client.ObjectList) error {
	if err := r.List(ctx, list, client.InNamespace(gwd.Namespace), client.MatchingLabels{
		gatewayv1alpha1.LabelGatewayDeployment: gwd.Name,
		gatewayv1alpha1.LabelComponent:         render.ComponentMesh,
	}); err != nil {
		return fmt.Errorf("listing mesh objects: %w", err)
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	var errs []error
	for _, item := range items {
		obj := item.(client.Object)
		if wanted[obj.GetName()] || !metav1.IsControlledBy(obj, gwd) {
			continue
		}
		if err := r.Delete(ctx, obj); client.IgnoreNotFound(err) != nil {
			errs = append(errs, fmt.Errorf("deleting %s: %w", obj.GetName(), err))
			continue
		}
		kind := fmt.Sprintf("%T", obj)[len("*v1."):]
		log.FromContext(ctx).Info("deleted", "kind", kind, "name", obj.GetName())
		r.Recorder.Eventf(gwd, obj, corev1.EventTypeNormal, "Deleted", "Delete", "Deleted %s %s: no longer asked for", kind, obj.GetName())
	}
	return errors.Join(errs...)
}

// istioCRDChanged runs when an Istio CRD comes or goes. When Istio appears, the controller
// starts watching its kinds; either way, every GatewayDeployment that asks for the mesh is
// reconciled again, so that none waits for a restart.
func (r *GatewayDeploymentReconciler) istioCRDChanged(ctx context.Context, crd client.Object) []reconcile.Request {
	if !mesh.CRDNames[crd.GetName()] {
		return nil
	}
	if r.Mesh.Detect(r.mapper) {
		if err := r.watchIstio(); err != nil {
			log.FromContext(ctx).Error(err, "watching Istio's kinds")
		}
	}
	list := &gatewayv1alpha1.GatewayDeploymentList{}
	if err := r.List(ctx, list); err != nil {
		log.FromContext(ctx).Error(err, "listing GatewayDeployments")
		return nil
	}
	var requests []reconcile.Request
	for i := range list.Items {
		if gwd := &list.Items[i]; render.MeshRequested(gwd) {
			requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(gwd)})
		}
	}
	return requests
}

// watchIstio watches the Istio kinds Portico owns, once.
func (r *GatewayDeploymentReconciler) watchIstio() error {
	if r.watchingIstio.Swap(true) {
		return nil
	}
	for _, obj := range []client.Object{&istionetworkingv1.DestinationRule{}, &istiosecurityv1.PeerAuthentication{}} {
		owner := handler.EnqueueRequestForOwner(r.scheme, r.mapper, &gatewayv1alpha1.GatewayDeployment{}, handler.OnlyControllerOwner())
		if err := r.controller.Watch(source.Kind(r.cache, obj, owner)); err != nil {
			r.watchingIstio.Store(false)
			return err
		}
	}
	return nil
}
