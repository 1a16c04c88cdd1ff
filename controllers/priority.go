// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// progressPriority ranks a gateway whose children report progress above one just created,
// whose events have priority 0: when hundreds arrive at once, those under way finish first
// instead of every gateway waiting behind every new one.
const progressPriority = 1

// progressFirst enqueues h's requests with progressPriority, unless h lowers it (an
// unchanged object seen again, the initial list).
func progressFirst(h handler.EventHandler) handler.EventHandler {
	return progressHandler{h}
}

type progressHandler struct{ inner handler.EventHandler }

type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]

func raise(q queue) queue {
	if pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request]); ok {
		return progressQueue{pq}
	}
	return q
}

func (h progressHandler) Create(ctx context.Context, e event.CreateEvent, q queue) {
	h.inner.Create(ctx, e, raise(q))
}

func (h progressHandler) Update(ctx context.Context, e event.UpdateEvent, q queue) {
	h.inner.Update(ctx, e, raise(q))
}

func (h progressHandler) Delete(ctx context.Context, e event.DeleteEvent, q queue) {
	h.inner.Delete(ctx, e, raise(q))
}

func (h progressHandler) Generic(ctx context.Context, e event.GenericEvent, q queue) {
	h.inner.Generic(ctx, e, raise(q))
}

// progressQueue adds with progressPriority where no priority was given.
type progressQueue struct {
	priorityqueue.PriorityQueue[reconcile.Request]
}

func (q progressQueue) Add(item reconcile.Request) { q.AddWithOpts(priorityqueue.AddOpts{}, item) }

func (q progressQueue) AddWithOpts(o priorityqueue.AddOpts, items ...reconcile.Request) {
	if o.Priority == nil {
		p := progressPriority
		o.Priority = &p
	}
	q.PriorityQueue.AddWithOpts(o, items...)
}
