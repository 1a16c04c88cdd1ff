// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// DefaultProgressWrites is how many intermediate status writes (a gateway on its way: not
// Ready, nor stopped by a problem) the operator makes per second across all its gateways, and
// progressBurst how many it may make at once after a quiet spell. Each gateway waiting to be
// Ready used to write its progress every StatusFold, so on a slow cluster, where thousands
// wait at once, the writes multiplied with the wait; within this budget their number follows
// the time a storm lasts, not how long each gateway takes. Ready and problems are written at
// once; a gateway on its own still writes its progress every StatusFold.
const (
	DefaultProgressWrites = 1
	progressBurst         = 5
)

// progressTurns hands out the turns to write an intermediate status. A gateway that finds
// none free waits in line, without a requeue: its turn wakes it.
type progressTurns struct {
	every time.Duration
	mu    sync.Mutex
	free  int
	line  []types.NamespacedName
	// waiting holds who is in line; granted, whose turn came and is not yet used.
	waiting, granted map[types.NamespacedName]bool
	// wake carries the gateway whose turn came to the controller.
	wake chan event.GenericEvent
}

func newProgressTurns(perSecond int) *progressTurns {
	return &progressTurns{every: time.Second / time.Duration(max(perSecond, 1)), free: progressBurst,
		waiting: map[types.NamespacedName]bool{}, granted: map[types.NamespacedName]bool{},
		wake: make(chan event.GenericEvent)}
}

// take uses key's turn: its own if it came, else a free one; without either key joins the line.
func (p *progressTurns) take(key types.NamespacedName) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.granted[key]:
		delete(p.granted, key)
		return true
	case p.waiting[key]:
		return false
	case p.free > 0:
		p.free--
		return true
	}
	p.waiting[key] = true
	p.line = append(p.line, key)
	return false
}

// forget takes key out of line, or back from its turn: it has nothing in progress to write
// (its status is written, settled or gone).
func (p *progressTurns) forget(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.waiting, key)
	delete(p.granted, key)
}

// next gives the turn to the first still in line; with no one in line it is kept for later,
// up to progressBurst.
func (p *progressTurns) next() (types.NamespacedName, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.line) > 0 {
		key := p.line[0]
		p.line = p.line[1:]
		if p.waiting[key] {
			delete(p.waiting, key)
			p.granted[key] = true
			return key, true
		}
	}
	p.free = min(p.free+1, progressBurst)
	return types.NamespacedName{}, false
}

// Start hands out one turn each interval until ctx ends (a manager.Runnable).
func (p *progressTurns) Start(ctx context.Context) error {
	ticker := time.NewTicker(p.every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		key, ok := p.next()
		if !ok {
			continue
		}
		gwd := &gatewayv1alpha1.GatewayDeployment{}
		gwd.Namespace, gwd.Name = key.Namespace, key.Name
		select {
		case p.wake <- event.GenericEvent{Object: gwd}:
		case <-ctx.Done():
			return nil
		}
	}
}
