// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/apply"
	"github.com/portico-dev/portico/internal/istiorev"
)

// CacheOptions keeps the informer cache to what Portico owns: by default only objects with
// Portico's managed-by label enter it, so unrelated Deployments, Services and pods never take
// memory. The exceptions are the GatewayDeployments themselves, the names of CRDs and of
// Istio's sidecar-injector webhooks (to see Istio arrive) and Secrets labelled for Konnect. A
// kind read through the cached client gets the same filter: read other objects with the
// APIReader. watchNamespace is a comma-separated list; empty means every namespace. specs
// keeps the cached Deployments' specs out of the cache (DeploymentSpecs): give the reconciler
// the same one.
func CacheOptions(watchNamespace string, specs *apply.DeploymentSpecs) cache.Options {
	crdMetadata := &metav1.PartialObjectMetadata{}
	crdMetadata.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
	opts := cache.Options{
		DefaultLabelSelector: labels.SelectorFromSet(labels.Set{gatewayv1alpha1.LabelManagedBy: gatewayv1alpha1.ManagedByValue}),
		// Portico compares with live values, never managed fields: they would double the memory
		// of every cached object.
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&gatewayv1alpha1.GatewayDeployment{}: {Label: labels.Everything(), Transform: gatewayAsRead},
			&corev1.Pod{}:                        {Transform: podStatusOnly},
			&appsv1.Deployment{}:                 {Transform: specs.Slim},
			// Secrets: Portico's registration Secrets and the token and certificate Secrets
			// users label for it; never the others.
			&corev1.Secret{}: {Label: konnectSecretSelector, Transform: secretAsRead},
			// ConfigMaps: users' labelled configuration sources and Portico's copies of them.
			// (Secrets holding configurations are cached apart: configSecretCache.)
			// Read without a deep copy (a source may hold a MiB): Portico never writes into them.
			&corev1.ConfigMap{}: {Label: configSelector, Transform: configAsRead, UnsafeDisableDeepCopy: ptr.To(true)},
			crdMetadata:         {Label: labels.Everything(), Transform: nameOnly},
			// Istio's sidecar-injector webhook configurations, by name only.
			injectorMetadata(): {Label: labels.SelectorFromSet(injectorLabel), Transform: injectorAsRead},
		},
	}
	opts.DefaultNamespaces = namespaces(watchNamespace)
	return opts
}

// configSecretCache caches the Secrets labelled for spec.config and Portico's copies of them,
// apart from the Konnect Secrets: one cache selects a kind by one label selector, and a
// Secret is either Konnect's or a configuration's. It starts with the manager.
func configSecretCache(mgr manager.Manager, watchNamespace string) (cache.Cache, error) {
	opts := cache.Options{
		HTTPClient: mgr.GetHTTPClient(), Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(),
		ByObject: map[client.Object]cache.ByObject{&corev1.Secret{}: {Label: configSelector, Transform: configAsRead, UnsafeDisableDeepCopy: ptr.To(true)}},
	}
	opts.DefaultNamespaces = namespaces(watchNamespace)
	c, err := cache.New(mgr.GetConfig(), opts)
	if err != nil {
		return nil, fmt.Errorf("creating the cache of configuration Secrets: %w", err)
	}
	return c, mgr.Add(c)
}

// namespaces are the cache's namespaces from a comma-separated list; nil means all.
func namespaces(watchNamespace string) map[string]cache.Config {
	var out map[string]cache.Config
	for ns := range strings.SplitSeq(watchNamespace, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			if out == nil {
				out = map[string]cache.Config{}
			}
			out[ns] = cache.Config{}
		}
	}
	return out
}

var konnectSecretSelector = func() labels.Selector {
	req, err := labels.NewRequirement(gatewayv1alpha1.LabelKonnect, selection.Exists, nil)
	if err != nil {
		panic(err)
	}
	return labels.NewSelector().Add(*req)
}()

// MaxCachedGatewayBytes bounds what the cache keeps of one GatewayDeployment: its spec and
// metadata encoded take a few KiB, and one that takes more (up to the API server's 1.5 MiB)
// is kept without them and read around the cache when reconciled. So a tenant who writes
// many specs at every maximum costs the operator's memory no more than this each.
const MaxCachedGatewayBytes = 16 << 10

// largeAtOnce is how many gateways larger than MaxCachedGatewayBytes are reconciled at once:
// one such reconcile reads, writes and compares up to a few MiB in passing. One that finds no
// free slot is woken, in turn, when a slot frees; largeRetry is its fallback.
const (
	largeAtOnce = 2
	largeRetry  = time.Minute
)

// largeSlots hands out the slots for large gateways. Those that found none wait in line,
// without holding a worker or polling: each slot released wakes the first in line.
type largeSlots struct {
	mu      sync.Mutex
	free    int
	waiting []types.NamespacedName
	queued  map[types.NamespacedName]bool
	// wake carries the gateway to reconcile next to the controller.
	wake chan event.GenericEvent
}

func newLargeSlots(n int) *largeSlots {
	return &largeSlots{free: n, queued: map[types.NamespacedName]bool{}, wake: make(chan event.GenericEvent, n)}
}

// take takes a slot for key, or puts key in line.
func (s *largeSlots) take(key types.NamespacedName) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.free > 0 {
		s.free--
		return true
	}
	if !s.queued[key] {
		s.queued[key] = true
		s.waiting = append(s.waiting, key)
	}
	return false
}

// release gives a slot back and wakes the first in line.
func (s *largeSlots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.free++
	if len(s.waiting) == 0 {
		return
	}
	next := s.waiting[0]
	s.waiting = s.waiting[1:]
	delete(s.queued, next)
	gwd := &gatewayv1alpha1.GatewayDeployment{}
	gwd.Namespace, gwd.Name = next.Namespace, next.Name
	select {
	case s.wake <- event.GenericEvent{Object: gwd}:
	default: // the controller has wake-ups enough to read: largeRetry brings this one back
	}
}

// annotationSpecNotCached marks, in the cache only, a GatewayDeployment kept without its spec;
// its value is the size that was not kept, in bytes.
const annotationSpecNotCached = "gateway.portico.dev/cached-without-spec"

// gatewayAsRead keeps a GatewayDeployment without its managed fields and without kubectl's
// copy of it in the last-applied annotation, which Portico never reads (a spec applied with
// kubectl would take twice its size). One larger than MaxCachedGatewayBytes even so keeps only
// what the operator reads of the cached copy: names, finalizers, Portico's annotations, the
// status, and spec.konnect, which indexes the gateways by Secret (its fields are short).
func gatewayAsRead(obj any) (any, error) {
	gwd, ok := obj.(*gatewayv1alpha1.GatewayDeployment)
	if !ok {
		return obj, nil
	}
	gwd.ManagedFields = nil
	delete(gwd.Annotations, corev1.LastAppliedConfigAnnotation)
	size := 0
	for _, m := range []map[string]string{gwd.Annotations, gwd.Labels} {
		for k, v := range m {
			size += len(k) + len(v)
		}
	}
	if spec, err := json.Marshal(gwd.Spec); err == nil {
		size += len(spec)
	}
	if size <= MaxCachedGatewayBytes {
		return gwd, nil
	}
	slim := &gatewayv1alpha1.GatewayDeployment{
		TypeMeta: gwd.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: gwd.Name, Namespace: gwd.Namespace, UID: gwd.UID, ResourceVersion: gwd.ResourceVersion,
			Generation: gwd.Generation, CreationTimestamp: gwd.CreationTimestamp, DeletionTimestamp: gwd.DeletionTimestamp,
			Finalizers: gwd.Finalizers, Annotations: map[string]string{annotationSpecNotCached: strconv.Itoa(size)},
		},
		Status: gwd.Status,
	}
	slim.Spec.Konnect = gwd.Spec.Konnect
	for _, key := range []string{gatewayv1alpha1.AnnotationKonnectRelease, gatewayv1alpha1.AnnotationKonnectUnpinDeadline} {
		if v, ok := gwd.Annotations[key]; ok {
			slim.Annotations[key] = v
		}
	}
	return slim, nil
}

// MaxSecretBytes bounds the data Portico keeps of a Secret users label for it: a Konnect token,
// or a certificate and its key, take a few KiB. A larger one is kept without its data, and a
// gateway that names it says why.
const MaxSecretBytes = 64 << 10

// annotationDataDropped marks, in the cache only, a Secret kept without its data; its value is
// the data's size in bytes.
const annotationDataDropped = "gateway.portico.dev/cached-without-data"

// secretAsRead keeps of a labelled Secret what Portico reads. Its own registration Secrets are
// kept whole (it updates them), without managed fields. Of the others: the metadata Portico
// reads or patches (not annotations, which may hold a copy of the data as kubectl's last
// applied configuration), and the data up to MaxSecretBytes; of a certificate Secret only the
// certificate and key.
func secretAsRead(obj any) (any, error) {
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return obj, nil
	}
	if owner := metav1.GetControllerOfNoCopy(s); owner != nil && owner.Kind == "GatewayDeployment" &&
		s.Labels[gatewayv1alpha1.LabelKonnect] == "registration" {
		s.ManagedFields = nil
		return s, nil
	}
	out := &corev1.Secret{ObjectMeta: metadataAsRead(s), Type: s.Type}
	data, size := map[string][]byte{}, 0
	for k, v := range s.Data {
		if s.Labels[gatewayv1alpha1.LabelKonnect] == "certificate" && k != corev1.TLSCertKey && k != corev1.TLSPrivateKeyKey {
			continue
		}
		data[k] = v
		size += len(k) + len(v)
	}
	if size > MaxSecretBytes {
		out.Annotations = map[string]string{annotationDataDropped: strconv.Itoa(size)}
		return out, nil
	}
	out.Data = data
	return out, nil
}

// metadataAsRead is the metadata the cache keeps of a user's object Portico reads: what names
// and owns it, its labels and finalizers, and not its annotations (kubectl's last-applied copy
// may hold a Secret's data in clear) nor its managed fields.
func metadataAsRead(o metav1.Object) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: o.GetName(), Namespace: o.GetNamespace(), UID: o.GetUID(), ResourceVersion: o.GetResourceVersion(),
		Labels: o.GetLabels(), OwnerReferences: o.GetOwnerReferences(), Finalizers: o.GetFinalizers(),
		DeletionTimestamp: o.GetDeletionTimestamp(), CreationTimestamp: o.GetCreationTimestamp(),
	}
}

// nameOnly keeps a CRD's name and age: a CRD's metadata can carry its whole schema in an
// annotation.
func nameOnly(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil
	}
	out := &metav1.PartialObjectMetadata{TypeMeta: m.TypeMeta}
	out.Name, out.UID, out.ResourceVersion, out.CreationTimestamp = m.Name, m.UID, m.ResourceVersion, m.CreationTimestamp
	return out, nil
}

// injectorAsRead keeps of an injector webhook configuration its name and the labels that say
// which revision, or revision tag, it injects for.
func injectorAsRead(obj any) (any, error) {
	out, err := nameOnly(obj)
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if err != nil || !ok {
		return out, err
	}
	kept := map[string]string{}
	for _, key := range []string{istiorev.LabelRev, istiorev.LabelTag} {
		if v, ok := m.Labels[key]; ok {
			kept[key] = v
		}
	}
	out.(*metav1.PartialObjectMetadata).Labels = kept
	return out, nil
}

// podStatusOnly keeps what status assessment reads of a gateway pod and drops the rest (the
// spec, managed fields, annotations, labels but the selector's, the conditions and container
// details it never reads), so that many pods cost little memory.
func podStatusOnly(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:              pod.Name,
			Namespace:         pod.Namespace,
			UID:               pod.UID,
			ResourceVersion:   pod.ResourceVersion,
			Labels:            selectorLabels(pod.Labels),
			Annotations:       sidecarStatus(pod),
			DeletionTimestamp: pod.DeletionTimestamp,
		},
		Status: corev1.PodStatus{
			Phase:      pod.Status.Phase,
			Reason:     pod.Status.Reason,
			Message:    pod.Status.Message,
			Conditions: readiness(pod.Status.Conditions),
			// By name, and why a container waits.
			ContainerStatuses: waiting(pod.Status.ContainerStatuses),
			// Istio's sidecar runs here when injected as a native sidecar.
			InitContainerStatuses: waiting(pod.Status.InitContainerStatuses),
		},
	}, nil
}

// sidecarStatus keeps of Istio's record on a pod only the revision that injected it.
func sidecarStatus(pod *corev1.Pod) map[string]string {
	if revision := istiorev.Running(pod); revision != "" {
		return map[string]string{istiorev.AnnotationStatus: istiorev.StatusOf(revision)}
	}
	return nil
}

// selectorLabelKeys are the keys of the gateways' SelectorLabels, by which Portico finds its pods.
var selectorLabelKeys = slices.Collect(maps.Keys((&gatewayv1alpha1.GatewayDeployment{}).SelectorLabels()))

// selectorLabels keeps of a gateway pod's labels those Portico selects its pods by: the
// others come from spec.pod.labels and may take tens of KiB.
func selectorLabels(labels map[string]string) map[string]string {
	kept := make(map[string]string, len(selectorLabelKeys))
	for _, key := range selectorLabelKeys {
		if v, ok := labels[key]; ok {
			kept[key] = v
		}
	}
	return kept
}

// readiness keeps a pod's Ready condition, and PodScheduled when it is not True (the
// scheduler's reason).
func readiness(conditions []corev1.PodCondition) []corev1.PodCondition {
	var out []corev1.PodCondition
	for _, c := range conditions {
		if c.Type == corev1.PodReady || (c.Type == corev1.PodScheduled && c.Status != corev1.ConditionTrue) {
			out = append(out, c)
		}
	}
	return out
}

// waiting keeps each container's name and, while it waits, why.
func waiting(statuses []corev1.ContainerStatus) []corev1.ContainerStatus {
	if len(statuses) == 0 {
		return nil
	}
	out := make([]corev1.ContainerStatus, len(statuses))
	for i, cs := range statuses {
		out[i] = corev1.ContainerStatus{Name: cs.Name, State: corev1.ContainerState{Waiting: cs.State.Waiting}}
	}
	return out
}
