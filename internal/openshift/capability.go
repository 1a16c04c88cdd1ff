// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package openshift holds what Portico knows of OpenShift: its Route kind, and its security
// context constraints, which assign pods their UIDs.
package openshift

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/portico-dev/portico/internal/capability"
)

// NewCapability tracks OpenShift's Route kind; a cluster that serves it is OpenShift (or
// has its router installed).
func NewCapability() *capability.Capability {
	return &capability.Capability{
		Kinds:    []schema.GroupVersionKind{{Group: "route.openshift.io", Version: "v1", Kind: "Route"}},
		CRDNames: map[string]bool{"routes.route.openshift.io": true},
	}
}

// NewSecurityCapability tracks OpenShift's SecurityContextConstraints kind: where it is served,
// the cluster assigns each pod a UID from its namespace's range, and a fixed one is refused.
func NewSecurityCapability() *capability.Capability {
	return &capability.Capability{
		Kinds:    []schema.GroupVersionKind{{Group: "security.openshift.io", Version: "v1", Kind: "SecurityContextConstraints"}},
		CRDNames: map[string]bool{"securitycontextconstraints.security.openshift.io": true},
	}
}
