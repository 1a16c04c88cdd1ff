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
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/apply"
	"github.com/portico-dev/portico/internal/istiorev"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/status"
)

// +kubebuilder:rbac:groups=networking.istio.io,resources=destinationrules,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=security.istio.io,resources=peerauthentications,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get

// injectorLabel marks Istio's sidecar-injector webhook configurations (every revision's).
var injectorLabel = map[string]string{"app": "sidecar-injector"}

func injectorMetadata() *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(admissionregistrationv1.SchemeGroupVersion.WithKind("MutatingWebhookConfiguration"))
	return m
}

// injectors are the Istio sidecar injectors registered: every revision's, and every revision
// tag's. The cache selects just those webhook configurations by label, and keeps only their
// names and the labels that say which revision they inject for.
func (r *GatewayDeploymentReconciler) injectors(ctx context.Context) ([]istiorev.Injector, error) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(admissionregistrationv1.SchemeGroupVersion.WithKind("MutatingWebhookConfigurationList"))
	if err := r.List(ctx, list); err != nil {
		return nil, fmt.Errorf("looking for Istio's sidecar injector: %w", err)
	}
	out := make([]istiorev.Injector, 0, len(list.Items))
	for _, item := range list.Items {
		out = append(out, istiorev.InjectorFrom(item.Labels))
	}
	return out, nil
}

// sidecarRevision is the Istio revision that should inject gwd's pods now: the revision or
// tag spec.mesh.revision names, else the namespace's, else the default, a tag resolved to
// the revision its injector now stands for.
func (r *GatewayDeploymentReconciler) sidecarRevision(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, injectors []istiorev.Injector) (string, error) {
	var namespaceLabels map[string]string
	if gwd.Spec.Mesh.Revision == "" {
		var err error
		if namespaceLabels, err = r.namespaceLabels(ctx, gwd.Namespace); err != nil {
			return "", err
		}
	}
	return istiorev.Resolve(istiorev.Requested(gwd.Spec.Mesh.Revision, namespaceLabels), injectors), nil
}

// namespaceLabelsFor is how long a namespace's labels read are used: the cache holds no
// namespaces, and a meshed gateway is reconciled at each event of its pods.
const namespaceLabelsFor = 30 * time.Second

type namespaceLabels struct {
	labels map[string]string
	readAt time.Time
}

// namespaceLabels reads a namespace's labels around the cache, at most every
// namespaceLabelsFor.
func (r *GatewayDeploymentReconciler) namespaceLabels(ctx context.Context, namespace string) (map[string]string, error) {
	now := r.Clock.Now()
	if v, ok := r.namespaces.Load(namespace); ok && now.Sub(v.(namespaceLabels).readAt) < namespaceLabelsFor {
		return v.(namespaceLabels).labels, nil
	}
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	if err := r.APIReader.Get(ctx, types.NamespacedName{Name: namespace}, ns); err != nil {
		return nil, fmt.Errorf("reading namespace %s's labels: %w", namespace, err)
	}
	r.namespaces.Store(namespace, namespaceLabels{labels: ns.Labels, readAt: now})
	return ns.Labels, nil
}

// followSidecarRevision finds the revision that should inject the pods, for status, and with
// rollOnUpgrade puts it in the pod template, so that a new one rolls the pods once.
func (r *GatewayDeploymentReconciler) followSidecarRevision(ctx context.Context, s *scope, injectors []istiorev.Injector) error {
	wanted, err := r.sidecarRevision(ctx, s.gwd, injectors)
	if err != nil {
		return err
	}
	s.obs.Mesh.SidecarRevision = wanted
	if !s.gwd.Spec.Mesh.RollOnUpgrade {
		return nil
	}
	revision, waitingFor, err := r.templateRevision(ctx, s.gwd, wanted)
	s.inputs.SidecarRevision, s.obs.Mesh.RollWaitingFor = revision, waitingFor
	if waitingFor != "" {
		s.after(upgradeRollRecheck)
	}
	return err
}

// upgradeRollRecheck is how often a gateway waiting for another's upgrade roll looks again.
const upgradeRollRecheck = 10 * time.Second

// upgradeRollHold is how long one gateway's roll onto a new sidecar revision keeps the others
// of its namespace waiting, at most: one whose rollout never completes must not hold them
// for ever.
const upgradeRollHold = 15 * time.Minute

// upgradeRoll is the gateway of a namespace rolling onto a new sidecar revision.
type upgradeRoll struct {
	gateway types.NamespacedName
	since   time.Time
}

// templateRevision is the sidecar revision gwd's pod template carries, with rollOnUpgrade:
// the one that should inject its pods, unless that means a roll while another gateway of the
// namespace is rolling onto a new revision; then the one it carries now, and waitingFor names
// the other. A gateway's roll holds the namespace until its rollout completes.
func (r *GatewayDeploymentReconciler) templateRevision(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, wanted string) (revision, waitingFor string, err error) {
	key := client.ObjectKeyFromObject(gwd)
	d := &appsv1.Deployment{}
	if err := r.Get(ctx, key, d); client.IgnoreNotFound(err) != nil {
		return "", "", err
	}
	live := d.Spec.Template.Annotations[render.AnnotationSidecarRevision]
	now := r.Clock.Now()
	if live == "" || live == wanted {
		if status.RolloutComplete(d, status.DesiredReplicas(gwd, d)) {
			r.releaseRoll(key)
		}
		return wanted, "", nil
	}
	held, loaded := r.upgradeRolls.LoadOrStore(gwd.Namespace, upgradeRoll{gateway: key, since: now})
	if roll := held.(upgradeRoll); loaded && roll.gateway != key {
		if now.Sub(roll.since) < upgradeRollHold {
			return live, roll.gateway.Name, nil
		}
		r.upgradeRolls.Store(gwd.Namespace, upgradeRoll{gateway: key, since: now})
	}
	return wanted, "", nil
}

// releaseRoll ends key's upgrade roll, if its namespace's is key's.
func (r *GatewayDeploymentReconciler) releaseRoll(key types.NamespacedName) {
	if held, ok := r.upgradeRolls.Load(key.Namespace); ok && held.(upgradeRoll).gateway == key {
		r.upgradeRolls.CompareAndDelete(key.Namespace, held)
	}
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
