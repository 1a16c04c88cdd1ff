// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package capability

import "k8s.io/apimachinery/pkg/runtime/schema"

// kind is one optional kind and the CRD that brings it: each is listed once, here.
type kind struct {
	gvk schema.GroupVersionKind
	crd string
}

func of(kinds ...kind) *Capability {
	c := &Capability{CRDNames: map[string]bool{}}
	for _, k := range kinds {
		c.Kinds = append(c.Kinds, k.gvk)
		c.CRDNames[k.crd] = true
	}
	return c
}

// Istio is the mesh Portico joins gateways to: the DestinationRules and PeerAuthentication
// it owns.
func Istio() *Capability {
	return of(
		kind{schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "DestinationRule"}, "destinationrules.networking.istio.io"},
		kind{schema.GroupVersionKind{Group: "security.istio.io", Version: "v1", Kind: "PeerAuthentication"}, "peerauthentications.security.istio.io"},
	)
}

// OpenShiftRoutes is OpenShift's Route, which exposes a gateway through the cluster's router.
func OpenShiftRoutes() *Capability {
	return of(kind{schema.GroupVersionKind{Group: "route.openshift.io", Version: "v1", Kind: "Route"}, "routes.route.openshift.io"})
}

// SecurityContextConstraints is OpenShift's admission of pods, which assigns their UIDs:
// where it is served, the gateway container names no UID of its own.
func SecurityContextConstraints() *Capability {
	return of(kind{schema.GroupVersionKind{Group: "security.openshift.io", Version: "v1", Kind: "SecurityContextConstraints"},
		"securitycontextconstraints.security.openshift.io"})
}
