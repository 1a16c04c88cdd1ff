// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package apply

import (
	"context"
	"fmt"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/portico-dev/portico/internal/render"
)

// DeploymentSpecs keeps the specs of the cached Deployments in their compact wire form, out
// of the cache, until Portico has judged them. The decoded pod template was a third of the
// operator's live heap (about 7 KB per gateway; 1.4 KB encoded), yet only the comparison with
// the desired Deployment reads it, once per generation (childMemo). Status reads the
// Deployment's status, and Konnect its template's annotations: the cached object keeps those.
//
// A Deployment's spec changes only with its generation, so a spec is kept per generation: a
// status update, the most frequent change, leaves it as it is. Once a generation is judged
// (found to hold what Portico wants, or written by Portico's own apply) its spec is let go: a
// later change of the desired spec reads the Deployment once from the API server.
type DeploymentSpecs struct {
	mu    sync.RWMutex
	byUID map[types.UID]encodedSpec
}

// encodedSpec is the newest generation seen of a Deployment and, unless judged, its spec.
type encodedSpec struct {
	generation int64
	raw        []byte
}

// NewDeploymentSpecs returns an empty store; pass it to CacheOptions and the reconciler.
func NewDeploymentSpecs() *DeploymentSpecs {
	return &DeploymentSpecs{byUID: map[types.UID]encodedSpec{}}
}

// Slim is the cache's transform for Deployments: it keeps the spec here and leaves the
// object its metadata (without managed fields), replicas, status, and of the template's
// annotations the one Portico reads (the pinned Konnect certificate): the others come from
// spec.pod.annotations and may take 128 KiB.
func (s *DeploymentSpecs) Slim(obj any) (any, error) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return obj, nil // a deletion tombstone
	}
	s.mu.RLock()
	kept, ok := s.byUID[d.UID]
	s.mu.RUnlock()
	// Most updates are the Deployment controller's status writes: the spec kept, or judged,
	// still holds.
	if !ok || kept.generation < d.Generation {
		raw, err := d.Spec.Marshal()
		if err != nil {
			return nil, fmt.Errorf("encoding the spec of Deployment %s/%s: %w", d.Namespace, d.Name, err)
		}
		s.mu.Lock()
		s.byUID[d.UID] = encodedSpec{generation: d.Generation, raw: raw}
		s.mu.Unlock()
	}
	return withoutSpec(d), nil
}

// withoutSpec is d as the cache keeps it: its metadata (without managed fields), replicas,
// status, and the template annotations Portico reads (the Konnect certificate, the sidecar
// revision).
func withoutSpec(d *appsv1.Deployment) *appsv1.Deployment {
	out := &appsv1.Deployment{TypeMeta: d.TypeMeta, ObjectMeta: d.ObjectMeta, Status: d.Status}
	out.ManagedFields = nil
	out.Spec.Replicas = d.Spec.Replicas
	for _, key := range []string{render.AnnotationKonnectCertificate, render.AnnotationSidecarRevision} {
		if v, ok := d.Spec.Template.Annotations[key]; ok {
			if out.Spec.Template.Annotations == nil {
				out.Spec.Template.Annotations = map[string]string{}
			}
			out.Spec.Template.Annotations[key] = v
		}
	}
	return out
}

// Holds tells whether the store has an entry for the Deployment with uid, and whether that
// entry keeps a spec: what the store costs, for tests and diagnostics.
func (s *DeploymentSpecs) Holds(uid types.UID) (entry, spec bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	kept, ok := s.byUID[uid]
	return ok, kept.raw != nil
}

// judged lets go of the spec of d's generation: Portico found it holds what it wants.
func (s *DeploymentSpecs) judged(d *appsv1.Deployment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kept, ok := s.byUID[d.UID]; !ok || kept.generation <= d.Generation {
		s.byUID[d.UID] = encodedSpec{generation: d.Generation}
	}
}

// full returns the cached Deployment with its spec, or false when no spec of the same
// generation is kept (judged already, or the cache has yet to catch up with a newer one).
func (s *DeploymentSpecs) full(d *appsv1.Deployment) (*appsv1.Deployment, bool) {
	s.mu.RLock()
	spec, ok := s.byUID[d.UID]
	s.mu.RUnlock()
	if !ok || spec.generation != d.Generation || spec.raw == nil {
		return nil, false
	}
	out := d.DeepCopy()
	out.Spec = appsv1.DeploymentSpec{}
	if err := out.Spec.Unmarshal(spec.raw); err != nil {
		return nil, false
	}
	return out, true
}

// forget drops a Deployment that left the cache.
func (s *DeploymentSpecs) forget(obj any) {
	if tombstone, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	if m, ok := obj.(metav1.Object); ok {
		s.mu.Lock()
		delete(s.byUID, m.GetUID())
		s.mu.Unlock()
	}
}

// WatchDeletions has the store forget Deployments as they leave the cache.
func (s *DeploymentSpecs) WatchDeletions(ctx context.Context, c cache.Cache) error {
	informer, err := c.GetInformer(ctx, &appsv1.Deployment{})
	if err != nil {
		return err
	}
	_, err = informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{DeleteFunc: s.forget})
	return err
}

// comparable returns a child as the comparison with the desired one needs it: a cached
// Deployment gets its spec back, from the store or, when that lags or has judged the spec
// already, from the API server.
func (a *Applier) comparable(ctx context.Context, cached client.Object) (client.Object, error) {
	d, ok := cached.(*appsv1.Deployment)
	if !ok {
		return cached, nil
	}
	if full, ok := a.Specs.full(d); ok {
		return full, nil
	}
	live := &appsv1.Deployment{}
	if err := a.APIReader.Get(ctx, client.ObjectKeyFromObject(d), live); err != nil {
		return nil, err
	}
	return live, nil
}
