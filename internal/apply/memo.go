// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package apply

import (
	"reflect"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// cacheLag is how long after creating a child Portico takes its absence from the cache for
// the cache lagging behind, not for a deletion. Past it, an absent child is created again.
const cacheLag = 2 * time.Second

// childMemo remembers, per gateway, two things about its children that spare API writes and
// CPU when a starting gateway's progress triggers reconcile after reconcile:
//   - which live children were found to hold everything Portico wants: the live object is
//     fixed by its UID and version (seenVersion), the desired one by its spec hash, so the
//     comparison (two JSON round trips, once a reconcile's largest cost) need not run again;
//   - which children it has just created, while the cache may not show them yet: a
//     reconcile triggered by another child's event would otherwise create them again.
//
// A gateway has a handful of children: short lists cost a tenth of the memory of maps.
type childMemo struct {
	mu        sync.Mutex
	byGateway map[types.NamespacedName]*gatewayChildren
	// createdOrder lists the created children oldest first, so that those past cacheLag are
	// let go even if their gateway is not reconciled again for a long while (a busy
	// controller manager): each holds a whole object.
	createdOrder []createdRef
	// now is a monotonic clock (time.Now when nil): the window only spaces reconciles.
	now func() time.Time
}

func (m *childMemo) clock() time.Time {
	if m.now == nil {
		return time.Now()
	}
	return m.now()
}

type gatewayChildren struct {
	covered []coveredChild
	created []createdChild
}

// childVersion is what a comparison judged: the live child (see seenVersion) and the
// desired spec hash.
type childVersion struct {
	uid types.UID
	// generation is set for the kinds whose version does not change with status writes.
	generation        int64
	version, specHash string
}

type coveredChild struct {
	child string // "Kind/name"
	seen  childVersion
}

type createdChild struct {
	child  string // "Kind/name"
	at     time.Time
	object client.Object
}

type createdRef struct {
	gateway types.NamespacedName
	child   string
	at      time.Time
}

func (c coveredChild) name() string { return c.child }
func (c createdChild) name() string { return c.child }

// find is the index of the entry named child in list, or -1.
func find[E interface{ name() string }](list []E, child string) int {
	return slices.IndexFunc(list, func(e E) bool { return e.name() == child })
}

// without returns list without the entry named child.
func without[E interface{ name() string }](list []E, child string) []E {
	return slices.DeleteFunc(list, func(e E) bool { return e.name() == child })
}

// expireCreated drops the created children older than cacheLag. The caller holds mu.
func (m *childMemo) expireCreated() {
	for len(m.createdOrder) > 0 && m.clock().Sub(m.createdOrder[0].at) >= cacheLag {
		ref := m.createdOrder[0]
		m.createdOrder = m.createdOrder[1:]
		if g := m.byGateway[ref.gateway]; g != nil {
			g.created = slices.DeleteFunc(g.created, func(c createdChild) bool {
				return c.child == ref.child && c.at.Equal(ref.at)
			})
		}
	}
}

func (m *childMemo) of(gwd client.Object) *gatewayChildren {
	key := client.ObjectKeyFromObject(gwd)
	if m.byGateway == nil {
		m.byGateway = map[types.NamespacedName]*gatewayChildren{}
	}
	g := m.byGateway[key]
	if g == nil {
		g = &gatewayChildren{}
		m.byGateway[key] = g
	}
	return g
}

// judged is the version of child last judged to hold what Portico wanted, if any. Callers
// hold m.mu.
func (m *childMemo) judged(gwd client.Object, child string) (childVersion, bool) {
	g := m.byGateway[client.ObjectKeyFromObject(gwd)]
	if g == nil {
		return childVersion{}, false
	}
	if i := find(g.covered, child); i >= 0 {
		return g.covered[i].seen, true
	}
	return childVersion{}, false
}

// aheadOf tells whether known is a newer generation of the same child than one the cache
// shows: the cache has yet to catch up with what Portico wrote or read.
func (known childVersion) aheadOf(uid types.UID, generation int64) bool {
	return known.uid == uid && generation < known.generation
}

// covered tells whether the live child, as seen, was found to hold the desired one. It also
// marks the child as in the cache.
func (m *childMemo) covered(gwd client.Object, child string, seen childVersion) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.of(gwd)
	g.created = without(g.created, child)
	known, ok := m.judged(gwd, child)
	if !ok || seen.specHash == "" {
		return false
	}
	if known.specHash == seen.specHash && known.aheadOf(seen.uid, seen.generation) {
		// Any later change brings a newer generation still, and another reconcile.
		return true
	}
	return known == seen
}

// behind tells whether cached is older than the version of child last judged.
func (m *childMemo) behind(gwd client.Object, child string, cached client.Object) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	known, ok := m.judged(gwd, child)
	return ok && known.aheadOf(cached.GetUID(), cached.GetGeneration())
}

// outdated tells whether seen is the very version of the child last judged to hold what
// Portico wanted, and Portico now wants another spec: the child holds the old one, and the
// new one is applied without reading the child to compare (a Deployment's spec is not
// cached). Were the child to hold the new spec already, the apply would be a no-op.
func (m *childMemo) outdated(gwd client.Object, child string, seen childVersion) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	known, ok := m.judged(gwd, child)
	return ok && seen.specHash != "" && known.specHash != "" && known.specHash != seen.specHash &&
		known.uid == seen.uid && known.generation == seen.generation && known.version == seen.version
}

func (m *childMemo) rememberCovered(gwd client.Object, child string, seen childVersion) {
	if seen.specHash == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.of(gwd)
	g.covered = append(without(g.covered, child), coveredChild{child: child, seen: seen})
}

// rememberCreated keeps a copy of what the API server answered to Portico's create.
func (m *childMemo) rememberCreated(gwd client.Object, child string, obj client.Object) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expireCreated()
	at := m.clock()
	g := m.of(gwd)
	g.created = append(without(g.created, child), createdChild{child: child, at: at, object: obj.DeepCopyObject().(client.Object)})
	m.createdOrder = append(m.createdOrder, createdRef{gateway: client.ObjectKeyFromObject(gwd), child: child, at: at})
}

// recentlyCreated fills into with the child Portico created less than cacheLag ago, and
// says how long until that time is up; false when there is none.
func (m *childMemo) recentlyCreated(gwd client.Object, child string, into client.Object) (time.Duration, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expireCreated()
	g := m.of(gwd)
	i := find(g.created, child)
	if i < 0 {
		return 0, false
	}
	c := g.created[i]
	left := cacheLag - m.clock().Sub(c.at)
	if left <= 0 || reflect.TypeOf(into) != reflect.TypeOf(c.object) {
		g.created = without(g.created, child)
		return 0, false
	}
	reflect.ValueOf(into).Elem().Set(reflect.ValueOf(c.object.DeepCopyObject()).Elem())
	return left, true
}

// forget drops a deleted gateway's entries.
func (m *childMemo) forget(gwd types.NamespacedName) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.byGateway, gwd)
}
