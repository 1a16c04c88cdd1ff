// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package istiorev tells which Istio revision should inject a gateway's pods (a revision or
// a revision tag, resolved through istiod's injector webhook configurations) and which one
// did (the pod's sidecar status). It is pure.
package istiorev

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
)

const (
	// LabelRev names a revision (or a tag) on pods, namespaces and injector webhooks.
	LabelRev = "istio.io/rev"
	// LabelTag marks a revision tag's injector webhook, whose LabelRev is its revision.
	LabelTag = "istio.io/tag"
	// LabelInjection is the namespace label of the default revision's injection.
	LabelInjection = "istio-injection"
	// AnnotationStatus is the injector's record on a pod of what it injected, and by which
	// revision.
	AnnotationStatus = "sidecar.istio.io/status"
	// Default is the revision (and the tag) of an install without one.
	Default = "default"
)

// Injector is what an injector webhook configuration says of itself: the revision it
// injects for, and the tag it stands for ("" for a revision's own).
type Injector struct{ Revision, Tag string }

// InjectorFrom reads an injector webhook configuration's labels.
func InjectorFrom(labels map[string]string) Injector {
	return Injector{Revision: labels[LabelRev], Tag: labels[LabelTag]}
}

// Requested is the revision or tag a pod asks for: its own (spec.mesh.revision), else its
// namespace's istio.io/rev, else the default (istio-injection=enabled, or the pod's own
// sidecar.istio.io/inject label).
func Requested(podRevision string, namespaceLabels map[string]string) string {
	switch {
	case podRevision != "":
		return podRevision
	case namespaceLabels[LabelRev] != "":
		return namespaceLabels[LabelRev]
	}
	return Default
}

// Resolve is the revision that injects for requested: a tag's revision, or requested itself.
// An install of a single unnamed revision registers no tag: "default" is that revision then.
func Resolve(requested string, injectors []Injector) string {
	for _, in := range injectors {
		if in.Tag == requested && in.Revision != "" {
			return in.Revision
		}
	}
	return requested
}

// Running is the revision whose sidecar the injector put in pod; "" when none did, or when
// the pod's record does not say.
func Running(pod *corev1.Pod) string {
	raw := pod.Annotations[AnnotationStatus]
	if raw == "" {
		return ""
	}
	var status struct {
		Revision string `json:"revision"`
	}
	if err := json.Unmarshal([]byte(raw), &status); err != nil {
		return ""
	}
	return status.Revision
}

// StatusOf is the smallest sidecar status annotation that still tells the revision, for
// caches that keep only what Portico reads.
func StatusOf(revision string) string {
	raw, _ := json.Marshal(struct {
		Revision string `json:"revision"`
	}{revision})
	return string(raw)
}
