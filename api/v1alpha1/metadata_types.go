// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package v1alpha1

// The maps below reach the gateway's children as labels, annotations or a node selector:
// admission checks them as the API server will check them there, so that a spec it admits
// never fails at every apply. A key is a qualified name: an optional DNS-subdomain prefix of
// at most 253 characters and '/', then a name of at most 63 letters, digits, '-', '_' or '.',
// starting and ending with a letter or digit.

// LabelMap is a set of labels (or a node selector): qualified-name keys and label values.
// +kubebuilder:validation:XValidation:rule="self.all(k, k.size() <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$') && (!k.contains('/') || k.indexOf('/') <= 253))",message="each key must be a qualified name: an optional DNS subdomain prefix (at most 253 characters) and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
type LabelMap map[string]LabelValue

// LabelValue is at most 63 letters, digits, '-', '_' or '.', starting and ending with a
// letter or digit, or empty.
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`
type LabelValue string

// Strings is the map as plain strings, as Kubernetes' types hold labels.
func (m LabelMap) Strings() map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

// AnnotationMap is a set of annotations with qualified-name keys. Where it is used, it holds
// at most 128 KiB of keys and values together (the API server allows 256 KiB for all of an
// object's annotations, Portico's own and Istio's among them), or less.
// +kubebuilder:validation:XValidation:rule="self.all(k, k.size() <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$') && (!k.contains('/') || k.indexOf('/') <= 253))",message="each key must be a qualified name: an optional DNS subdomain prefix (at most 253 characters) and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
type AnnotationMap map[string]string
