// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kubernetes' own types that a GatewayDeployment passes on to the pod, restated with the
// bounds admission needs: the API server refuses in the pod what these refuse here, and CEL
// can check a string only when its length is bounded. Their JSON is Kubernetes' own.

// EnvVar is a variable of the gateway container.
type EnvVar struct {
	// name of the variable: printable ASCII other than '='.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[ -<>-~]+$`
	Name string `json:"name"`

	// value of the variable; larger settings belong in a ConfigMap or Secret (envFrom).
	// +optional
	// +kubebuilder:validation:MaxLength=32768
	Value string `json:"value,omitempty"`

	// valueFrom takes the value from a ConfigMap, a Secret or the pod's own fields.
	// +optional
	ValueFrom *corev1.EnvVarSource `json:"valueFrom,omitempty"`
}

// Kubernetes is the variable as the pod holds it.
func (e EnvVar) Kubernetes() corev1.EnvVar {
	return corev1.EnvVar{Name: e.Name, Value: e.Value, ValueFrom: e.ValueFrom}
}

// EnvFromSource adds the variables of a ConfigMap or a Secret.
// +kubebuilder:validation:XValidation:rule="has(self.configMapRef) != has(self.secretRef)",message="set exactly one of configMapRef and secretRef"
type EnvFromSource struct {
	// prefix for each variable's name: printable ASCII other than '='.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[ -<>-~]*$`
	Prefix string `json:"prefix,omitempty"`

	// configMapRef names the ConfigMap.
	// +optional
	ConfigMapRef *corev1.ConfigMapEnvSource `json:"configMapRef,omitempty"`

	// secretRef names the Secret.
	// +optional
	SecretRef *corev1.SecretEnvSource `json:"secretRef,omitempty"`
}

// Toleration lets the gateway pods run on nodes with a matching taint.
// +kubebuilder:validation:XValidation:rule="!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value.size() == 0",message="a toleration with operator Exists has no value"
// +kubebuilder:validation:XValidation:rule="has(self.key) && self.key.size() > 0 || (has(self.operator) && self.operator == 'Exists')",message="a toleration without a key must have operator Exists"
// +kubebuilder:validation:XValidation:rule="!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')",message="tolerationSeconds needs effect NoExecute"
type Toleration struct {
	// key of the taint: a qualified name; empty matches every key (with operator Exists).
	// +optional
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:XValidation:rule="self.size() == 0 || (self.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$') && (!self.contains('/') || self.indexOf('/') <= 253))",message="key must be a qualified name: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	Key string `json:"key,omitempty"`

	// operator is Exists or Equal (the default).
	// +optional
	// +kubebuilder:validation:Enum=Exists;Equal
	Operator corev1.TolerationOperator `json:"operator,omitempty"`

	// value of the taint, with operator Equal.
	// +optional
	Value LabelValue `json:"value,omitempty"`

	// effect of the taint: NoSchedule, PreferNoSchedule or NoExecute; empty matches all.
	// +optional
	// +kubebuilder:validation:Enum=NoSchedule;PreferNoSchedule;NoExecute
	Effect corev1.TaintEffect `json:"effect,omitempty"`

	// tolerationSeconds bounds how long a NoExecute taint is tolerated.
	// +optional
	TolerationSeconds *int64 `json:"tolerationSeconds,omitempty"`
}

// TopologySpreadConstraint spreads the gateway pods across the domains of a node label.
type TopologySpreadConstraint struct {
	// maxSkew is how unevenly the pods may be spread.
	// +kubebuilder:validation:Minimum=1
	MaxSkew int32 `json:"maxSkew"`

	// topologyKey is the node label whose values are the domains, such as
	// topology.kubernetes.io/zone.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:XValidation:rule="self.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$') && (!self.contains('/') || self.indexOf('/') <= 253)",message="topologyKey must be a node label key such as topology.kubernetes.io/zone"
	TopologyKey string `json:"topologyKey"`

	// whenUnsatisfiable is DoNotSchedule or ScheduleAnyway.
	// +kubebuilder:validation:Enum=DoNotSchedule;ScheduleAnyway
	WhenUnsatisfiable corev1.UnsatisfiableConstraintAction `json:"whenUnsatisfiable"`

	// labelSelector finds the pods to spread; usually the gateway's own.
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`

	// minDomains is the least number of domains to count.
	// +optional
	// +kubebuilder:validation:Minimum=1
	MinDomains *int32 `json:"minDomains,omitempty"`

	// nodeAffinityPolicy and nodeTaintsPolicy are Honor or Ignore.
	// +optional
	// +kubebuilder:validation:Enum=Honor;Ignore
	NodeAffinityPolicy *corev1.NodeInclusionPolicy `json:"nodeAffinityPolicy,omitempty"`
	// +optional
	// +kubebuilder:validation:Enum=Honor;Ignore
	NodeTaintsPolicy *corev1.NodeInclusionPolicy `json:"nodeTaintsPolicy,omitempty"`

	// matchLabelKeys are pod label keys whose values narrow the pods counted.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:MaxLength=317
	MatchLabelKeys []string `json:"matchLabelKeys,omitempty"`
}
