// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package mesh tells whether Istio is installed: whether the API server serves the kinds
// Portico writes for the mesh.
package mesh

import (
	"sync/atomic"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Kinds are the Istio kinds Portico owns.
var Kinds = []schema.GroupVersionKind{
	{Group: "networking.istio.io", Version: "v1", Kind: "DestinationRule"},
	{Group: "security.istio.io", Version: "v1", Kind: "PeerAuthentication"},
}

// CRDNames are the CustomResourceDefinitions that bring Kinds.
var CRDNames = map[string]bool{
	"destinationrules.networking.istio.io":  true,
	"peerauthentications.security.istio.io": true,
}

// Capability remembers whether Istio's kinds are served. Detect updates it; readers never
// block on the API server.
type Capability struct {
	available atomic.Bool
}

// Available tells what the last Detect found.
func (c *Capability) Available() bool { return c.available.Load() }

// Detect asks the RESTMapper for every kind in Kinds and remembers the answer. It reports
// whether this call found them where the previous one had not.
func (c *Capability) Detect(mapper meta.RESTMapper) (appeared bool) {
	for _, gvk := range Kinds {
		if _, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			c.available.Store(false)
			return false
		}
	}
	return !c.available.Swap(true)
}

// InstallHint is the message for a GatewayDeployment that asks for mesh features without Istio.
const InstallHint = "Istio is not installed: the API server does not serve DestinationRule " +
	"(networking.istio.io/v1) and PeerAuthentication (security.istio.io/v1). Install Istio " +
	"(for example istioctl install, or its base chart); Portico picks it up without a restart."
