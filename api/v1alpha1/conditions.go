/*
Copyright 2026 The Portico Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

// Condition types. Ready summarises the others.
const (
	ConditionReady       = "Ready"
	ConditionAvailable   = "Available"
	ConditionProgressing = "Progressing"
	ConditionDegraded    = "Degraded"
)

// Condition reasons, CamelCase as metav1.Condition requires.
const (
	// ReasonReconciling: Portico has not yet observed enough to judge.
	ReasonReconciling = "Reconciling"
	// ReasonReady: every applicable condition is in its good state.
	ReasonReady = "Ready"

	ReasonMinimumReplicasAvailable   = "MinimumReplicasAvailable"
	ReasonMinimumReplicasUnavailable = "MinimumReplicasUnavailable"
	ReasonDeploymentNotFound         = "DeploymentNotFound"
	ReasonServiceNotFound            = "ServiceNotFound"

	ReasonRollingOut      = "RollingOut"
	ReasonRolloutComplete = "RolloutComplete"

	ReasonAsExpected               = "AsExpected"
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"
	ReasonReplicaFailure           = "ReplicaFailure"
	ReasonPodsFailing              = "PodsFailing"
	ReasonApplyFailed              = "ApplyFailed"
)

// Labels every child carries. The cache selects owned objects by LabelManagedBy.
const (
	LabelName              = "app.kubernetes.io/name"
	LabelInstance          = "app.kubernetes.io/instance"
	LabelManagedBy         = "app.kubernetes.io/managed-by"
	LabelComponent         = "app.kubernetes.io/component"
	LabelGatewayDeployment = "gateway.portico.dev/gatewaydeployment"

	ManagedByValue = "portico"
)
