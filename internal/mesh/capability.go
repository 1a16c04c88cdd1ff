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

// InstallHint is the message for a GatewayDeployment that asks for mesh features without Istio.
const InstallHint = "Istio is not installed: the API server does not serve DestinationRule " +
	"(networking.istio.io/v1) and PeerAuthentication (security.istio.io/v1). Install Istio " +
	"(for example istioctl install, or its base chart); Portico picks it up without a restart."
