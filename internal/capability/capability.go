// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package capability tells whether the API server serves optional kinds (Istio's, OpenShift's
// Routes), so that Portico runs with or without them and notices when they arrive.
package capability

import (
	"sync/atomic"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Capability is a set of kinds that come together (from one product's CRDs).
type Capability struct {
	// Kinds are the kinds Portico uses; CRDNames are the CRDs that bring them.
	Kinds    []schema.GroupVersionKind
	CRDNames map[string]bool

	available atomic.Bool
	watching  atomic.Bool
}

// Available tells what the last Detect found. It never blocks on the API server.
func (c *Capability) Available() bool { return c.available.Load() }

// Detect asks the RESTMapper for every kind and remembers the answer. It reports whether
// this call found them where the previous one had not.
func (c *Capability) Detect(mapper meta.RESTMapper) (appeared bool) {
	for _, gvk := range c.Kinds {
		if _, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			c.available.Store(false)
			return false
		}
	}
	return !c.available.Swap(true)
}

// StartWatching reports true the first time it is called, so that watches start once.
func (c *Capability) StartWatching() bool { return !c.watching.Swap(true) }

// StopWatching undoes StartWatching, when starting the watches failed.
func (c *Capability) StopWatching() { c.watching.Store(false) }
