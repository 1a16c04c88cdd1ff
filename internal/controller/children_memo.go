// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"reflect"
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
//     fixed by its UID and resourceVersion, the desired one by its spec hash, so the
//     comparison (two JSON round trips, once a reconcile's largest cost) need not run again;
//   - which children it has just created, while the cache may not show them yet: a
//     reconcile triggered by another child's event would otherwise create them again.
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
	covered map[string]childVersion // by "Kind/name"
	created map[string]createdChild // by "Kind/name"
}

type childVersion struct {
	uid                       types.UID
	resourceVersion, specHash string
}

type createdChild struct {
	at     time.Time
	object client.Object
}

type createdRef struct {
	gateway types.NamespacedName
	child   string
	at      time.Time
}

// expireCreated drops the created children older than cacheLag. The caller holds mu.
func (m *childMemo) expireCreated() {
	for len(m.createdOrder) > 0 && m.clock().Sub(m.createdOrder[0].at) >= cacheLag {
		ref := m.createdOrder[0]
		m.createdOrder = m.createdOrder[1:]
		if g := m.byGateway[ref.gateway]; g != nil {
			if c, ok := g.created[ref.child]; ok && c.at.Equal(ref.at) {
				delete(g.created, ref.child)
			}
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
		g = &gatewayChildren{covered: map[string]childVersion{}, created: map[string]createdChild{}}
		m.byGateway[key] = g
	}
	return g
}

// covered tells whether the live child, as seen, was found to hold the desired one. It also
// marks the child as in the cache.
func (m *childMemo) covered(gwd client.Object, child string, seen childVersion) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.of(gwd)
	delete(g.created, child)
	v, ok := g.covered[child]
	return ok && seen.specHash != "" && v == seen
}

func (m *childMemo) rememberCovered(gwd client.Object, child string, seen childVersion) {
	if seen.specHash == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.of(gwd).covered[child] = seen
}

// rememberCreated keeps a copy of what the API server answered to Portico's create.
func (m *childMemo) rememberCreated(gwd client.Object, child string, obj client.Object) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expireCreated()
	at := m.clock()
	m.of(gwd).created[child] = createdChild{at: at, object: obj.DeepCopyObject().(client.Object)}
	m.createdOrder = append(m.createdOrder, createdRef{gateway: client.ObjectKeyFromObject(gwd), child: child, at: at})
}

// recentlyCreated fills into with the child Portico created less than cacheLag ago, and
// says how long until that time is up; false when there is none.
func (m *childMemo) recentlyCreated(gwd client.Object, child string, into client.Object) (time.Duration, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expireCreated()
	c, ok := m.of(gwd).created[child]
	if !ok {
		return 0, false
	}
	left := cacheLag - m.clock().Sub(c.at)
	if left <= 0 || reflect.TypeOf(into) != reflect.TypeOf(c.object) {
		delete(m.of(gwd).created, child)
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
