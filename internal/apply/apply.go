// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package apply writes a gateway's children: server-side apply only when the live child
// lacks what Portico wants (compare before write, remembered per child), never onto an object
// Portico does not control, and pruning what is no longer wanted.
package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/portico-dev/portico/internal/convert"
	"github.com/portico-dev/portico/internal/render"
)

// Applier writes children for their owners. One serves every reconcile: its memo is what
// spares comparisons and writes.
type Applier struct {
	// Client reads from the cache and writes.
	client.Client
	// APIReader reads around the cache, for the rare object the cache cannot see.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder
	// Specs holds the cached Deployments' specs (the store given to the cache).
	Specs *DeploymentSpecs
	// FieldManager is the one server-side apply field manager the children are written with.
	FieldManager string

	memo childMemo
}

// Forget drops what the applier remembers of a deleted owner's children.
func (a *Applier) Forget(owner types.NamespacedName) { a.memo.forget(owner) }

// ChildKey names a child of kind and name as the applier's memory knows it: the child
// argument of Behind, RecentlyCreated and RememberCreated.
func ChildKey(kind, name string) string { return kind + "/" + name }

// Behind tells whether the cached child (ChildKey) of owner is older than a version Portico
// wrote or judged since: the cache has yet to catch up, and what it shows is not the child's
// state now.
func (a *Applier) Behind(owner client.Object, child string, cached client.Object) bool {
	return a.memo.behind(owner, child, cached)
}

// RememberCreated keeps what the API server answered to a create of child (ChildKey) by
// owner, for the short while the cache may not show it (RecentlyCreated).
func (a *Applier) RememberCreated(owner client.Object, child string, obj client.Object) {
	a.memo.rememberCreated(owner, child, obj)
}

// RecentlyCreated fills into with child, created by owner less than a moment ago, and says
// how long until that moment is up; false when there is none.
func (a *Applier) RecentlyCreated(owner client.Object, child string, into client.Object) (time.Duration, bool) {
	return a.memo.recentlyCreated(owner, child, into)
}

// Changes collects what one reconcile created or updated, so that it records one event for
// them all rather than one per child: events are API requests too.
// Children may be applied concurrently: it is guarded.
type Changes struct {
	mu               sync.Mutex
	created, updated []string
	// CacheWait is how soon to look again at a child created but not yet in the cache.
	CacheWait time.Duration
}

func (c *Changes) AwaitCache(wait time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.CacheWait == 0 || wait < c.CacheWait {
		c.CacheWait = wait
	}
}

type changesKey struct{}

func WithChanges(ctx context.Context) (context.Context, *Changes) {
	c := &Changes{}
	return context.WithValue(ctx, changesKey{}, c), c
}

func ChangesFrom(ctx context.Context) *Changes {
	if c, ok := ctx.Value(changesKey{}).(*Changes); ok {
		return c
	}
	return &Changes{} // outside a reconcile: nothing to report
}

func (c *Changes) Add(action, what string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if action == "Create" {
		c.created = append(c.created, what)
	} else {
		c.updated = append(c.updated, what)
	}
}

// Record writes one event per kind of change. The children a new gateway starts with are
// what its creation asked for and get no event (events are writes too); creating one again
// later, after it was deleted, is news.
func (c *Changes) Record(recorder events.EventRecorder, owner runtime.Object, isNew bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// In a stable order, whichever apply finished first.
	slices.Sort(c.created)
	slices.Sort(c.updated)
	if len(c.created) > 0 && !isNew {
		recorder.Eventf(owner, nil, corev1.EventTypeNormal, "Created", "Create", "Created %s", strings.Join(c.created, ", "))
	}
	if len(c.updated) > 0 {
		recorder.Eventf(owner, nil, corev1.EventTypeNormal, "Updated", "Update", "Updated %s", strings.Join(c.updated, ", "))
	}
}

// Found tells whether a Get filled obj in.
func Found(obj client.Object) bool { return obj.GetUID() != "" }

// Apply reads the child into cached and applies desired unless the live object
// already holds every value desired sets.
//
// Comparing with the live object leaves alone what others add (a rollout-restart annotation,
// defaults the API server fills in) and still catches drift: someone else's change to a value
// Portico sets shows as a difference, and a value Portico no longer sets changes the desired
// spec-hash annotation. It needs no managed fields, so the cache keeps none.
// repair, if set, runs before an apply to an existing object. After an apply, cached holds
// the API server's answer, not the cache's now stale copy: a status judged from the stale
// copy would call a rollout that just began complete.
func Apply[O client.Object, A any](
	ctx context.Context, a *Applier, gwd client.Object,
	kind, name string, cached O, desired A, repair func(context.Context, O, A) error,
) error {
	c := &applyCall[O, A]{Applier: a, gwd: gwd, kind: kind, child: ChildKey(kind, name),
		key: types.NamespacedName{Namespace: gwd.GetNamespace(), Name: name}, cached: cached, desired: desired, repair: repair}
	action := "Update"
	switch err := a.Get(ctx, c.key, cached); {
	case apierrors.IsNotFound(err):
		var skip bool
		if action, skip, err = c.notCached(ctx); err != nil || skip {
			return err
		}
	case err != nil:
		return c.errorf("reading", err)
	case !metav1.IsControlledBy(cached, gwd):
		// Labelled as Portico's, yet not this gateway's: an orphan, a copy, another gateway's.
		return ConflictWith(kind, cached)
	default:
		if upToDate, err := c.upToDate(ctx); err != nil || upToDate {
			return err
		}
	}
	return c.send(ctx, action)
}

// applyCall is one Apply under way.
type applyCall[O client.Object, A any] struct {
	*Applier
	gwd         client.Object
	kind, child string
	key         types.NamespacedName
	cached      O
	desired     A
	repair      func(context.Context, O, A) error
	// body is desired encoded once: the comparison reads it, and the apply sends it.
	body []byte
}

func (c *applyCall[O, A]) errorf(doing string, err error) error {
	return fmt.Errorf("%s %s %s: %w", doing, c.kind, c.key.Name, err)
}

func (c *applyCall[O, A]) encode() (err error) {
	if c.body == nil {
		c.body, err = json.Marshal(c.desired)
	}
	return err
}

// notCached decides what to do with a child the cache does not hold: create it, repair it,
// or skip it (Portico's own create the cache has not seen yet).
func (c *applyCall[O, A]) notCached(ctx context.Context) (action string, skip bool, err error) {
	if wait, ok := c.memo.recentlyCreated(c.gwd, c.child, c.cached); ok {
		// Portico's own create is not in the cache yet (a reconcile triggered by another
		// child's event came first): creating it again would be a wasted write.
		ChangesFrom(ctx).AwaitCache(wait)
		return "", true, nil
	}
	// The cache sees only labelled objects: one by that name may still exist, someone
	// else's or Portico's own without its label. One uncached read of its metadata tells.
	existing, err := c.Existing(ctx, c.key, c.cached)
	switch {
	case err != nil:
		return "", false, c.errorf("reading", err)
	case existing == nil:
		return "Create", false, nil
	case !metav1.IsControlledBy(existing, c.gwd):
		return "", false, ConflictWith(c.kind, existing)
	case c.repair != nil:
		// Portico's own, its label removed: read it whole to repair it.
		if err := c.APIReader.Get(ctx, c.key, c.cached); err != nil {
			return "", false, c.errorf("reading", err)
		}
		if err := c.repair(ctx, c.cached, c.desired); err != nil {
			return "", false, c.errorf("repairing", err)
		}
	}
	return "Update", false, nil
}

// upToDate tells whether the cached child already holds every value desired sets; when it
// does not, the repair (if any) has run.
func (c *applyCall[O, A]) upToDate(ctx context.Context) (bool, error) {
	seen := seenVersion(c.cached, c.desired)
	if c.memo.covered(c.gwd, c.child, seen) {
		return true, nil
	}
	same := false
	if !c.memo.outdated(c.gwd, c.child, seen) {
		var err error
		if same, err = c.compare(ctx); err != nil {
			return false, err
		}
	}
	if same || c.repair == nil {
		return same, nil
	}
	if err := c.repair(ctx, c.cached, c.desired); err != nil {
		return false, c.errorf("repairing", err)
	}
	return false, nil
}

// compare reads the live child as the comparison needs it and judges it against desired.
func (c *applyCall[O, A]) compare(ctx context.Context) (bool, error) {
	if err := c.encode(); err != nil {
		return false, c.errorf("encoding", err)
	}
	live, err := c.comparable(ctx, c.cached)
	if err != nil {
		return false, c.errorf("reading", err)
	}
	same, err := c.judge(c.gwd, c.child, live, c.desired, c.body)
	if err != nil {
		return false, c.errorf("comparing", err)
	}
	return same, nil
}

// send applies desired and keeps the API server's answer in cached.
func (c *applyCall[O, A]) send(ctx context.Context, action string) error {
	// Sent as the apply patch it is; the API server's answer is decoded straight into the
	// typed object (protobuf for built-in kinds), with no apply configuration in between.
	if err := c.encode(); err != nil {
		return c.errorf("encoding", err)
	}
	reset(c.cached, c.key)
	if err := c.Patch(ctx, c.cached, client.RawPatch(types.ApplyPatchType, c.body), client.FieldOwner(c.FieldManager), client.ForceOwnership); err != nil {
		// The child is the event's related object, so failures of different children stay apart.
		reset(c.cached, c.key)
		c.Recorder.Eventf(c.gwd, c.cached, corev1.EventTypeWarning, "ApplyFailed", action, "%s %s failed: %v", action, c.kind, err)
		return c.errorf("applying", err)
	}
	log.FromContext(ctx).Info("applied", "kind", c.kind, "name", c.key.Name, "action", action)
	ChangesFrom(ctx).Add(action, c.kind+" "+c.key.Name)
	if action == "Create" {
		remembered := client.Object(c.cached)
		if d, ok := remembered.(*appsv1.Deployment); ok {
			remembered = withoutSpec(d) // as the cache will hold it: the spec may take a MiB
		}
		c.memo.rememberCreated(c.gwd, c.child, remembered)
	}
	// The answer is the live child: judged now, its next reconciles need not compare (nor,
	// for a Deployment, keep its spec). The apply stands either way: a failed comparison only
	// means the next reconcile compares again.
	if _, err := c.judge(c.gwd, c.child, c.cached, c.desired, c.body); err != nil {
		log.FromContext(ctx).Error(err, "comparing the applied child with the desired one", "kind", c.kind, "name", c.key.Name)
	}
	return nil
}

// judge tells whether live holds everything desired (encoded as body) sets, and remembers
// it if so: the memo for the next reconciles, and the Deployment spec store, which then
// need not keep that spec.
func (a *Applier) judge(gwd client.Object, child string, live client.Object, desired any, body []byte) (bool, error) {
	if live.GetObjectKind().GroupVersionKind().Empty() {
		// Decoded from an API answer rather than the cache: typed objects come without their
		// kind, which desired names.
		gvk, err := apiutil.GVKForObject(live, a.Scheme)
		if err != nil {
			return false, err
		}
		live.GetObjectKind().SetGroupVersionKind(gvk)
	}
	same, err := covers(live, body)
	if err != nil || !same {
		return false, err
	}
	a.memo.rememberCovered(gwd, child, seenVersion(live, desired))
	if d, ok := live.(*appsv1.Deployment); ok {
		a.Specs.judged(d)
	}
	return true, nil
}

// seenVersion fixes the state of a live child that a comparison with desired judges. For
// most kinds that is its UID and resourceVersion. A Deployment's resourceVersion changes with
// every status write of the Deployment controller, which the comparison never reads: its spec
// changes with its generation, and of its metadata the comparison reads the values under the
// labels and annotations Portico sets and the owner references (hashed into the version).
func seenVersion(live client.Object, desired any) childVersion {
	labels, annotations := desiredMetadata(desired)
	seen := childVersion{uid: live.GetUID(), version: live.GetResourceVersion(), specHash: annotations[render.AnnotationSpecHash]}
	d, ok := live.(*appsv1.Deployment)
	if !ok {
		return seen
	}
	h := fnv.New64a()
	write := func(parts ...string) {
		for _, p := range parts {
			_, _ = h.Write([]byte(p))
			_, _ = h.Write([]byte{0})
		}
	}
	for _, kv := range []struct{ want, have map[string]string }{{labels, d.Labels}, {annotations, d.Annotations}} {
		for _, k := range slices.Sorted(maps.Keys(kv.want)) {
			v, ok := kv.have[k]
			write(k, strconv.FormatBool(ok), v)
		}
		write("")
	}
	for _, ref := range d.OwnerReferences {
		write(ref.APIVersion, ref.Kind, ref.Name, string(ref.UID),
			strconv.FormatBool(ptr.Deref(ref.Controller, false)), strconv.FormatBool(ptr.Deref(ref.BlockOwnerDeletion, false)))
	}
	seen.generation, seen.version = d.Generation, strconv.FormatUint(h.Sum64(), 36)
	return seen
}

// reset empties obj for the API server's answer, keeping what names it.
func reset(obj client.Object, key types.NamespacedName) {
	gvk := obj.GetObjectKind().GroupVersionKind()
	v := reflect.ValueOf(obj).Elem()
	v.Set(reflect.Zero(v.Type()))
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	obj.SetName(key.Name)
	obj.SetNamespace(key.Namespace)
}

// specHashOf reads the spec-hash annotation of an apply configuration; "" when it has none.
func specHashOf(desired any) string {
	_, annotations := desiredMetadata(desired)
	return annotations[render.AnnotationSpecHash]
}

// desiredMetadata reads the labels and annotations of an apply configuration (client-go's
// and Istio's embed object metadata of the same shape, from two packages).
func desiredMetadata(desired any) (labels, annotations map[string]string) {
	v := reflect.Indirect(reflect.ValueOf(desired))
	if v.Kind() != reflect.Struct {
		return nil, nil
	}
	meta := v.FieldByName("ObjectMetaApplyConfiguration")
	if !meta.IsValid() || meta.Kind() != reflect.Pointer || meta.IsNil() {
		return nil, nil
	}
	read := func(name string) map[string]string {
		field := meta.Elem().FieldByName(name)
		if !field.IsValid() {
			return nil
		}
		m, _ := reflect.TypeAssert[map[string]string](field)
		return m
	}
	return read("Labels"), read("Annotations")
}

// covers tells whether live holds every value desired sets. live may hold more: defaults the
// API server fills in, also inside entries Portico applied (a fieldRef's apiVersion, say). A
// desired removal is still seen, because the desired spec-hash annotation changes with it.
// Both sides are compared in their JSON form, which is canonical for quantities; desired
// comes encoded.
func covers(live client.Object, desired []byte) (bool, error) {
	have, err := convert.To[any](withoutServerFields(live))
	if err != nil {
		return false, err
	}
	var want any
	if err := json.Unmarshal(desired, &want); err != nil {
		return false, err
	}
	return contains(*have, want), nil
}

// withoutServerFields is a copy of a Deployment or Service without its managed fields and
// status, which Portico's apply configurations never set: in an apply's answer they are the
// larger part, and decoding them for nothing was a sixth of all the operator allocated. The
// few other kinds pass as they are.
func withoutServerFields(obj client.Object) client.Object {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		c := *o
		c.ManagedFields, c.Status = nil, appsv1.DeploymentStatus{}
		return &c
	case *corev1.Service:
		c := *o
		c.ManagedFields, c.Status = nil, corev1.ServiceStatus{}
		return &c
	}
	return obj
}

func contains(have, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			hv, ok := h[k]
			if !ok || !contains(hv, wv) {
				return false
			}
		}
		return true
	case []any:
		// Lists must match entry for entry: an extra entry Portico owns is one it no longer wants.
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !contains(h[i], w[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(have, want)
	}
}

// Prune deletes the children of gwd that selector finds in from and wanted does not name.
func (a *Applier) Prune(ctx context.Context, from client.Reader, gwd client.Object, selector client.MatchingLabels, wanted map[string]bool, list client.ObjectList) error {
	if err := from.List(ctx, list, client.InNamespace(gwd.GetNamespace()), selector); err != nil {
		return fmt.Errorf("listing the children to prune: %w", err)
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
		if err := a.Delete(ctx, obj); client.IgnoreNotFound(err) != nil {
			errs = append(errs, fmt.Errorf("deleting %s: %w", obj.GetName(), err))
			continue
		}
		kind := "object"
		if gvk, err := apiutil.GVKForObject(obj, a.Scheme); err == nil {
			kind = gvk.Kind
		}
		log.FromContext(ctx).Info("deleted", "kind", kind, "name", obj.GetName())
		a.Recorder.Eventf(gwd, obj, corev1.EventTypeNormal, "Deleted", "Delete", "Deleted %s %s: no longer asked for", kind, obj.GetName())
	}
	return errors.Join(errs...)
}
