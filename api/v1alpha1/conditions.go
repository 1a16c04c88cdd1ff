// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package v1alpha1

// Condition types. Ready summarises the others.
const (
	ConditionReady       = "Ready"
	ConditionAvailable   = "Available"
	ConditionProgressing = "Progressing"
	ConditionDegraded    = "Degraded"
	// ConditionMeshReady is set only when spec.mesh asks for something.
	ConditionMeshReady = "MeshReady"
	// ConditionRouteAdmitted is set only when spec.route asks for a Route.
	ConditionRouteAdmitted = "RouteAdmitted"
	// ConditionKonnectRegistered and ConditionKonnectConnected are set only when spec.konnect
	// asks for a control plane.
	ConditionKonnectRegistered = "KonnectRegistered"
	ConditionKonnectConnected  = "KonnectConnected"
	// ConditionConfigValid says which Kong configuration the gateway loads, and whether the
	// one spec.config names can be used; not set with spec.konnect.
	ConditionConfigValid = "ConfigValid"
	// ConditionUpstreamsInMesh says whether the configuration's upstreams are cluster Services
	// the sidecar sends with mTLS; set only for a configured gateway with a sidecar.
	ConditionUpstreamsInMesh = "UpstreamsInMesh"
	// ConditionAutoscaling says whether the HorizontalPodAutoscaler can compute its metrics
	// and scale; set only with spec.autoscaling. It does not make Ready False: the pods serve.
	ConditionAutoscaling = "Autoscaling"
	// ConditionTLSReady says whether the certificates spec.tls names can be used; set only
	// with spec.tls. Like ConfigValid, it makes Ready False only for a gateway that has no
	// pods yet: running pods keep the last good certificates.
	ConditionTLSReady = "TLSReady"
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
	// ReasonChildConflict: an object Portico does not control has a child's name; Portico leaves it alone.
	ReasonChildConflict = "ChildConflict"

	ReasonMeshConfigured     = "MeshConfigured"
	ReasonIstioNotInstalled  = "IstioNotInstalled"
	ReasonSidecarNotInjected = "SidecarNotInjected"
	// ReasonSidecarInjectionDisabled: spec.mesh only disables injection for the gateway pods.
	ReasonSidecarInjectionDisabled = "SidecarInjectionDisabled"
	// ReasonSidecarBlocked: the pods are refused for the capabilities of Istio's istio-init
	// container (OpenShift's restricted-v2, Pod Security "restricted"): Istio CNI is needed.
	ReasonSidecarBlocked = "SidecarBlocked"
	// ReasonSidecarOutdated: the pods run the sidecar of another Istio revision than the one
	// their revision or tag now names.
	ReasonSidecarOutdated = "SidecarOutdated"

	ReasonRouteAdmitted = "Admitted"
	ReasonRouteRejected = "RouteRejected"
	ReasonNotOpenShift  = "NotOpenShift"

	ReasonKonnectRegistered    = "Registered"
	ReasonCertificateRotating  = "CertificateRotating"
	ReasonAuthSecretNotFound   = "AuthSecretNotFound"
	ReasonAuthInvalid          = "AuthInvalid"
	ReasonControlPlaneNotFound = "ControlPlaneNotFound"
	ReasonAPIUnavailable       = "APIUnavailable"
	ReasonCertificateInvalid   = "CertificateInvalid"
	ReasonUnpinFailed          = "UnpinFailed"
	// ReasonServerNotAllowed: serverURL is not among the Konnect API hosts the operator may
	// send tokens to (its --konnect-api-hosts flag).
	ReasonServerNotAllowed = "ServerNotAllowed"
	// ReasonCertificateExpired and ReasonCertificateExpiring: the client certificate the data
	// planes use has expired, or will before it can next be renewed.
	ReasonCertificateExpired  = "CertificateExpired"
	ReasonCertificateExpiring = "CertificateExpiring"
	// ReasonRegistrationSecretConflict: a Secret not the gateway's has the registration's name.
	ReasonRegistrationSecretConflict = "RegistrationSecretConflict"
	ReasonConnected                  = "Connected"
	ReasonNodesMissing               = "NodesMissing"

	// ReasonDefaultConfig: no spec.config; Kong loads Portico's default, which routes nothing.
	ReasonDefaultConfig = "DefaultConfig"
	// ReasonConfigAccepted: spec.config's configuration passed the checks and is the one used.
	ReasonConfigAccepted = "ConfigAccepted"
	// ReasonConfigInvalid, ReasonConfigNotFound, ReasonConfigNotLabelled, ReasonConfigTooLarge:
	// spec.config's configuration cannot be used; the running pods keep the last valid one.
	ReasonConfigInvalid     = "ConfigInvalid"
	ReasonConfigNotFound    = "ConfigNotFound"
	ReasonConfigNotLabelled = "ConfigNotLabelled"
	ReasonConfigTooLarge    = "ConfigTooLarge"
	// ReasonUpstreamsInMesh and ReasonUpstreamsBypassMesh judge the upstreams against the mesh.
	ReasonUpstreamsInMesh     = "UpstreamsInMesh"
	ReasonUpstreamsBypassMesh = "UpstreamsBypassMesh"

	// ReasonScalingActive: the HorizontalPodAutoscaler computes its metrics and scales.
	// When it cannot, the condition carries its own reason (FailedGetResourceMetric...).
	ReasonScalingActive = "ScalingActive"

	// ReasonCertificatesValid: every certificate spec.tls names is in use and valid for more
	// than 14 days; ReasonCertificateExpiringSoon: one expires within 14 days.
	ReasonCertificatesValid       = "CertificatesValid"
	ReasonCertificateExpiringSoon = "CertificateExpiringSoon"
	// Why a certificate spec.tls names cannot be used.
	ReasonTLSSecretNotFound         = "TLSSecretNotFound"
	ReasonTLSSecretNotLabelled      = "TLSSecretNotLabelled"
	ReasonTLSSecretInvalid          = "TLSSecretInvalid"
	ReasonTLSKeyMismatch            = "TLSKeyMismatch"
	ReasonTLSCertificateExpired     = "TLSCertificateExpired"
	ReasonTLSCertificateNotYetValid = "TLSCertificateNotYetValid"
)

// Labels every child carries. The cache selects owned objects by LabelManagedBy.
const (
	LabelName              = "app.kubernetes.io/name"
	LabelInstance          = "app.kubernetes.io/instance"
	LabelManagedBy         = "app.kubernetes.io/managed-by"
	LabelComponent         = "app.kubernetes.io/component"
	LabelGatewayDeployment = "gateway.portico.dev/gatewaydeployment"

	ManagedByValue = "portico"

	// LabelKonnect marks the Secrets Portico may read for Konnect: users' token and certificate
	// Secrets (any value) and Portico's own certificate Secrets.
	LabelKonnect = "gateway.portico.dev/konnect"

	// LabelConfig marks the ConfigMaps and Secrets Portico may read for spec.config: users'
	// sources (ConfigSourceValue) and Portico's own copies (ConfigCopyValue).
	LabelConfig       = "gateway.portico.dev/config"
	ConfigSourceValue = "source"
	ConfigCopyValue   = "copy"
	// ConfigCertificateValue marks a kubernetes.io/tls Secret spec.tls may name.
	ConfigCertificateValue = "certificate"
)

// Annotations.
const (
	// AnnotationKonnectRelease, set to "true" on a GatewayDeployment being deleted, lets it go
	// without unpinning its certificates from Konnect (when Konnect or the token is gone for good).
	AnnotationKonnectRelease = "gateway.portico.dev/konnect-release"
	// AnnotationKonnectUnpinDeadline is when a GatewayDeployment being deleted stops waiting for
	// its certificates to be unpinned (RFC 3339). Portico sets it at the first failure, on the
	// object, so that an operator restart does not start the wait over.
	AnnotationKonnectUnpinDeadline = "gateway.portico.dev/konnect-unpin-deadline"
)

// FinalizerKonnect holds a GatewayDeployment until its certificates are unpinned from Konnect.
const FinalizerKonnect = "gateway.portico.dev/konnect-certificates"
