// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package mesh holds what Portico knows of Istio: the kinds it owns and how to tell that
// Istio is installed.
package mesh

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/portico-dev/portico/internal/capability"
)

// NewCapability tracks Istio's DestinationRule and PeerAuthentication kinds.
func NewCapability() *capability.Capability {
	return &capability.Capability{
		Kinds: []schema.GroupVersionKind{
			{Group: "networking.istio.io", Version: "v1", Kind: "DestinationRule"},
			{Group: "security.istio.io", Version: "v1", Kind: "PeerAuthentication"},
		},
		CRDNames: map[string]bool{
			"destinationrules.networking.istio.io":  true,
			"peerauthentications.security.istio.io": true,
		},
	}
}
