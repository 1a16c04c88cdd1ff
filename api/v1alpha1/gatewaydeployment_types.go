// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// GatewayDeploymentSpec describes the Kong Gateway data plane Portico runs.
// +kubebuilder:validation:XValidation:rule="!has(self.route) || !has(self.route.port) || !has(self.service) || !has(self.service.ports) || self.service.ports.exists(p, p.name == self.route.port)",message="route.port must name one of spec.service.ports"
//
// Operator-owned Kong settings are rejected in env so that a user setting can never silently
// break the listeners the probes, the Service and the operator depend on.
// +kubebuilder:validation:XValidation:rule="!has(self.env) || self.env.all(e, !(e.name in ['KONG_DATABASE', 'KONG_PROXY_LISTEN', 'KONG_STATUS_LISTEN', 'KONG_PREFIX', 'KONG_PORT_MAPS', 'KONG_NGINX_DAEMON', 'KONG_DECLARATIVE_CONFIG', 'KONG_DECLARATIVE_CONFIG_STRING']))",message="env may not set KONG_DATABASE, KONG_PROXY_LISTEN, KONG_STATUS_LISTEN, KONG_PREFIX, KONG_PORT_MAPS, KONG_NGINX_DAEMON, KONG_DECLARATIVE_CONFIG or KONG_DECLARATIVE_CONFIG_STRING: Portico owns these settings (proxy listeners come from spec.service.ports, the configuration from spec.config)"
// +kubebuilder:validation:XValidation:rule="!has(self.konnect) || !has(self.env) || self.env.all(e, !(e.name in ['KONG_ROLE', 'KONG_KONNECT_MODE', 'KONG_CLUSTER_MTLS', 'KONG_CLUSTER_CONTROL_PLANE', 'KONG_CLUSTER_SERVER_NAME', 'KONG_CLUSTER_TELEMETRY_ENDPOINT', 'KONG_CLUSTER_TELEMETRY_SERVER_NAME', 'KONG_CLUSTER_CERT', 'KONG_CLUSTER_CERT_KEY', 'KONG_CLUSTER_DP_LABELS']))",message="with konnect set, env may not set KONG_ROLE, KONG_KONNECT_MODE or KONG_CLUSTER_* settings: Portico derives them from spec.konnect"
// +kubebuilder:validation:XValidation:rule="!(has(self.config) && has(self.konnect))",message="set config or konnect, not both: a Konnect data plane takes its configuration from its control plane"
// +kubebuilder:validation:XValidation:rule="!has(self.autoscaling) || !has(self.autoscaling.targetCPUUtilizationPercentage) || (has(self.resources) && has(self.resources.requests) && 'cpu' in self.resources.requests)",message="autoscaling.targetCPUUtilizationPercentage needs resources.requests.cpu: utilisation is measured against the request"
// +kubebuilder:validation:XValidation:rule="!has(self.autoscaling) || !has(self.autoscaling.targetMemoryUtilizationPercentage) || (has(self.resources) && has(self.resources.requests) && 'memory' in self.resources.requests)",message="autoscaling.targetMemoryUtilizationPercentage needs resources.requests.memory: utilisation is measured against the request"
// +kubebuilder:validation:XValidation:rule="!has(self.autoscaling) || !has(oldSelf.autoscaling) || self.replicas == oldSelf.replicas",message="spec.replicas cannot change while spec.autoscaling is set: the HorizontalPodAutoscaler sets the number of pods. Change spec.autoscaling.minReplicas or maxReplicas instead, or remove spec.autoscaling first"
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || (has(self.service.ports) && self.service.ports.exists(p, p.protocol == 'HTTPS'))",message="tls needs a port of protocol HTTPS in spec.service.ports: the certificate is for Kong's HTTPS listeners"
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || !has(self.env) || self.env.all(e, !(e.name in ['KONG_SSL_CERT', 'KONG_SSL_CERT_KEY']))",message="with tls set, env may not set KONG_SSL_CERT or KONG_SSL_CERT_KEY: Portico derives them from spec.tls"
type GatewayDeploymentSpec struct {
	// image is the Kong Gateway container image. When omitted, the operator's default gateway
	// image is used (the operator's RELATED_IMAGE_GATEWAY setting).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.trim() == self && !self.contains(' ')",message="image must not contain spaces"
	Image string `json:"image,omitempty"`

	// imagePullPolicy for the gateway container. Kubernetes' default applies when omitted.
	// +optional
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// imagePullSecrets are Secrets in this namespace used to pull the gateway image.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// replicas is the number of gateway pods. 0 is valid and scales the gateway down.
	// This field is the scale subresource's, so `kubectl scale` and an HorizontalPodAutoscaler
	// that targets the GatewayDeployment drive it.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Replicas *int32 `json:"replicas,omitempty"`

	// resources for the gateway container.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// env adds Kong settings (KONG_*) or other variables to the gateway container. A variable
	// Portico sets by default (such as KONG_ADMIN_LISTEN=off) is replaced by one of the same name.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	Env []EnvVar `json:"env,omitempty"`

	// envFrom adds variables from ConfigMaps or Secrets to the gateway container.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	EnvFrom []EnvFromSource `json:"envFrom,omitempty"`

	// pod overrides scheduling and metadata of the gateway pods.
	// +optional
	Pod PodOverrides `json:"pod,omitempty"`

	// service configures the Service that exposes the gateway's proxy.
	// +optional
	// +kubebuilder:default={}
	Service ServiceSpec `json:"service,omitempty"`

	// rollout tunes how pod changes are rolled out.
	// +optional
	// +kubebuilder:default={}
	Rollout RolloutSpec `json:"rollout,omitempty"`

	// disruption limits how many gateway pods voluntary disruptions (node drains, cluster
	// upgrades) may take at once, through a PodDisruptionBudget Portico owns. When omitted, a
	// gateway that runs more than one pod (autoscaling: whose minReplicas is over one) gets
	// maxUnavailable 1, and one with a single pod gets none: a budget that blocks every drain
	// is worse than none. Set it to {} for no PodDisruptionBudget at all.
	// +optional
	Disruption *DisruptionSpec `json:"disruption,omitempty"`

	// autoscaling has Portico own a HorizontalPodAutoscaler (autoscaling/v2) for the gateway's
	// Deployment. While it is set, the HorizontalPodAutoscaler sets the number of pods:
	// spec.replicas is not applied, and may not change (kubectl scale is refused).
	// Utilisation targets need the matching spec.resources.requests.
	// +optional
	Autoscaling *AutoscalingSpec `json:"autoscaling,omitempty"`

	// tls gives Kong's HTTPS listeners (spec.service.ports of protocol HTTPS) their default
	// certificate, from kubernetes.io/tls Secrets of this namespace labelled
	// gateway.portico.dev/config=certificate (cert-manager's, or anyone's). Portico checks each
	// one (the key matches the certificate, not expired) and rolls the gateway once onto each
	// renewal; one that cannot be used leaves the running pods as they are (condition
	// TLSReady). Without it Kong serves its own self-signed certificate.
	// +optional
	TLS *TLSSpec `json:"tls,omitempty"`

	// route asks for an OpenShift Route to the gateway's Service (OpenShift only).
	// +optional
	Route *RouteSpec `json:"route,omitempty"`

	// mesh joins the gateway to an Istio service mesh: Kong takes traffic from outside the
	// mesh and calls its upstreams through the sidecar, with Istio mTLS.
	// +optional
	Mesh *MeshSpec `json:"mesh,omitempty"`

	// konnect joins the gateway to a Kong Konnect control plane as a hybrid-mode data plane:
	// Portico pins a client certificate for it, configures Kong to connect, rotates the
	// certificate before it expires and unpins it when the gateway goes.
	// +optional
	Konnect *KonnectSpec `json:"konnect,omitempty"`

	// config is the gateway's Kong declarative configuration (the kong.yml format,
	// _format_version "3.0": services, routes, upstreams, plugins, consumers...) in a ConfigMap
	// or Secret of this namespace, which must carry the label gateway.portico.dev/config=source.
	// Portico checks it against Kong's schema and references before any pod sees it, and rolls
	// the gateway once onto each valid version; an invalid one leaves the running pods as they
	// are (condition ConfigValid). Without config and konnect, the gateway loads a default
	// configuration that routes nothing. Not with konnect, whose control plane configures the
	// gateway.
	// +optional
	Config *ConfigSource `json:"config,omitempty"`
}

// DisruptionSpec is the gateway's PodDisruptionBudget: at most one of minAvailable and
// maxUnavailable; neither means none.
// +kubebuilder:validation:XValidation:rule="!(has(self.minAvailable) && has(self.maxUnavailable))",message="set minAvailable or maxUnavailable, not both"
type DisruptionSpec struct {
	// minAvailable is how many gateway pods (a number, or a percentage of the desired ones)
	// must stay available during voluntary disruptions.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]{1,3}%$')",message="minAvailable is a number of at least 0 or a percentage such as 50%"
	MinAvailable *intstr.IntOrString `json:"minAvailable,omitempty"`

	// maxUnavailable is how many gateway pods (a number, or a percentage of the desired ones)
	// voluntary disruptions may take at once.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]{1,3}%$')",message="maxUnavailable is a number of at least 0 or a percentage such as 25%"
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
}

// AutoscalingSpec is the gateway's HorizontalPodAutoscaler.
// +kubebuilder:validation:XValidation:rule="self.minReplicas <= self.maxReplicas",message="minReplicas may not exceed maxReplicas"
// +kubebuilder:validation:XValidation:rule="has(self.targetCPUUtilizationPercentage) || has(self.targetMemoryUtilizationPercentage)",message="set targetCPUUtilizationPercentage, targetMemoryUtilizationPercentage or both: the HorizontalPodAutoscaler needs a metric"
type AutoscalingSpec struct {
	// minReplicas is the fewest gateway pods.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MinReplicas *int32 `json:"minReplicas,omitempty"`

	// maxReplicas is the most gateway pods.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxReplicas int32 `json:"maxReplicas"`

	// targetCPUUtilizationPercentage is the average CPU use the pods are scaled to, as a
	// percentage of spec.resources.requests.cpu.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	TargetCPUUtilizationPercentage *int32 `json:"targetCPUUtilizationPercentage,omitempty"`

	// targetMemoryUtilizationPercentage is the average memory use the pods are scaled to, as
	// a percentage of spec.resources.requests.memory.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	TargetMemoryUtilizationPercentage *int32 `json:"targetMemoryUtilizationPercentage,omitempty"`

	// behavior tunes how fast the gateway scales up and down, as the HorizontalPodAutoscaler's
	// own behavior field does.
	// +optional
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
}

// TLSSpec names the certificates of the gateway's HTTPS listeners.
type TLSSpec struct {
	// certificateSecretRefs are kubernetes.io/tls Secrets (tls.crt, tls.key): one, or two with
	// different key types (RSA and ECDSA), of which Kong serves the one the client supports.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=2
	// +listType=map
	// +listMapKey=name
	CertificateSecretRefs []TLSSecretRef `json:"certificateSecretRefs"`
}

// TLSSecretRef names a kubernetes.io/tls Secret of the gateway's namespace.
type TLSSecretRef struct {
	// name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// ConfigSource names the object that holds a Kong declarative configuration: exactly one of
// configMapKeyRef and secretKeyRef.
// +kubebuilder:validation:XValidation:rule="has(self.configMapKeyRef) != has(self.secretKeyRef)",message="set exactly one of configMapKeyRef and secretKeyRef"
type ConfigSource struct {
	// configMapKeyRef names a ConfigMap key.
	// +optional
	ConfigMapKeyRef *ConfigKeyRef `json:"configMapKeyRef,omitempty"`
	// secretKeyRef names a Secret key: for a configuration that holds credentials, though a
	// vault reference ({vault://env/...} with spec.envFrom) keeps them out of it altogether.
	// +optional
	SecretKeyRef *ConfigKeyRef `json:"secretKeyRef,omitempty"`
}

// ConfigKeyRef names a key of a ConfigMap or Secret in the GatewayDeployment's namespace.
type ConfigKeyRef struct {
	// name of the ConfigMap or Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="name must be a DNS subdomain: lowercase letters, digits, '-' and '.'"
	Name string `json:"name"`
	// key holding the configuration, YAML or JSON.
	// +optional
	// +kubebuilder:default="kong.yml"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key,omitempty"`
}

// KonnectSpec names the control plane and the credentials Portico registers the gateway with.
// +kubebuilder:validation:XValidation:rule="has(self.controlPlaneID) != has(self.controlPlaneName)",message="set exactly one of controlPlaneID and controlPlaneName"
type KonnectSpec struct {
	// controlPlaneID is the control plane's id (a UUID), as Konnect shows it.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')",message="controlPlaneID must be a UUID such as 7f9fd312-a987-4628-b4c5-bb4f4fddd5f7"
	ControlPlaneID string `json:"controlPlaneID,omitempty"`

	// controlPlaneName is the control plane's name; Portico resolves it to an id. It must name
	// exactly one control plane.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	ControlPlaneName string `json:"controlPlaneName,omitempty"`

	// serverURL is Konnect's regional API, such as https://eu.api.konghq.com.
	// +optional
	// +kubebuilder:default="https://us.api.konghq.com"
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^https://[a-zA-Z0-9.-]+(:[0-9]+)?$')",message="serverURL must be an https URL with a host and no path, such as https://eu.api.konghq.com"
	ServerURL string `json:"serverURL,omitempty"`

	// authSecretRef is the key of a Secret in this namespace that holds a Konnect personal
	// access token (kpat_…) or system-account token (spat_…). The Secret must carry the label
	// gateway.portico.dev/konnect (any value): Portico reads and watches only Secrets so marked.
	AuthSecretRef SecretKeyRef `json:"authSecretRef"`

	// certificate sets how Portico issues the data plane's client certificate, or names one
	// you manage yourself.
	// +optional
	// +kubebuilder:default={}
	Certificate KonnectCertificate `json:"certificate,omitempty"`

	// dataPlaneLabels describe the data plane in Konnect (Kong's cluster_dp_labels): at most 5.
	// Keys and values are at most 63 characters of letters, digits, '-', '_' and '.', starting and
	// ending with a letter or digit; keys may not start with kong, konnect, insomnia, mesh, kic or
	// kuma, which Kong reserves.
	// +optional
	// +kubebuilder:validation:MaxProperties=5
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.size() <= 63 && k.matches('^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$'))",message="each dataPlaneLabels key must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.lowerAscii().matches('^(kong|konnect|insomnia|mesh|kic|kuma)'))",message="dataPlaneLabels keys may not start with kong, konnect, insomnia, mesh, kic or kuma: Kong reserves them"
	DataPlaneLabels map[string]DataPlaneLabelValue `json:"dataPlaneLabels,omitempty"`

	// pollInterval is how often Portico asks Konnect which data planes checked in (Konnect
	// offers no watch). Failed calls back off from there.
	// +optional
	// +kubebuilder:default="60s"
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('10s') && duration(self) <= duration('1h')",message="pollInterval must be between 10s and 1h"
	PollInterval *metav1.Duration `json:"pollInterval,omitempty"`
}

// DataPlaneLabelValue is 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a
// letter or digit.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$`
type DataPlaneLabelValue string

// SecretKeyRef names a key of a Secret in the GatewayDeployment's namespace.
type SecretKeyRef struct {
	// name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// key in the Secret's data.
	// +optional
	// +kubebuilder:default="token"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key,omitempty"`
}

// KonnectCertificate is the data plane's client certificate: issued and rotated by Portico
// (duration, renewBefore), or yours (secretName).
// +kubebuilder:validation:XValidation:rule="!has(self.secretName) || (!has(self.duration) && !has(self.renewBefore))",message="secretName names a certificate you manage: duration and renewBefore apply only to certificates Portico issues"
// +kubebuilder:validation:XValidation:rule="(has(self.renewBefore) ? duration(self.renewBefore) : duration('720h')) < (has(self.duration) ? duration(self.duration) : duration('2160h'))",message="renewBefore must be shorter than duration (defaults: 720h and 2160h)"
type KonnectCertificate struct {
	// duration of the certificates Portico issues. Default 2160h (90 days).
	// +optional
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1h')",message="duration must be at least 1h"
	Duration *metav1.Duration `json:"duration,omitempty"`
	// renewBefore is how long before expiry Portico rotates the certificate. Default 720h (30 days).
	// +optional
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('5m')",message="renewBefore must be at least 5m"
	RenewBefore *metav1.Duration `json:"renewBefore,omitempty"`
	// secretName names a kubernetes.io/tls Secret in this namespace that you manage (with
	// cert-manager, say), labelled gateway.portico.dev/konnect. Portico pins its certificate,
	// pins each new one it sees, rolls the pods onto it and then unpins the old one.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName,omitempty"`
}

// RouteTermination is where a Route's TLS ends.
// +kubebuilder:validation:Enum=Edge;Passthrough;Reencrypt
type RouteTermination string

const (
	// RouteTerminationEdge: the router ends TLS and sends plain HTTP to Kong.
	RouteTerminationEdge RouteTermination = "Edge"
	// RouteTerminationPassthrough: the router passes TLS through to Kong's HTTPS listener.
	RouteTerminationPassthrough RouteTermination = "Passthrough"
	// RouteTerminationReencrypt: the router ends TLS and opens a new TLS connection to Kong.
	RouteTerminationReencrypt RouteTermination = "Reencrypt"
)

// RouteSpec configures the OpenShift Route in front of the gateway.
// +kubebuilder:validation:XValidation:rule="!has(self.insecureEdgeTerminationPolicy) || (has(self.termination) && self.termination != 'Passthrough') || (has(self.termination) && self.termination == 'Passthrough' && self.insecureEdgeTerminationPolicy != 'Allow')",message="insecureEdgeTerminationPolicy needs a TLS termination, and Passthrough allows only None or Redirect"
type RouteSpec struct {
	// host of the Route; OpenShift generates one when omitted.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="host must be a DNS name such as api.example.com"
	Host string `json:"host,omitempty"`

	// termination of TLS at the router; a plain HTTP Route when omitted.
	// +optional
	Termination RouteTermination `json:"termination,omitempty"`

	// insecureEdgeTerminationPolicy for plain HTTP requests to a TLS Route.
	// +optional
	// +kubebuilder:validation:Enum=None;Allow;Redirect
	InsecureEdgeTerminationPolicy string `json:"insecureEdgeTerminationPolicy,omitempty"`

	// port is the name of the Service port the Route sends to. By default: the first HTTPS
	// port for Passthrough and Reencrypt, the first HTTP port otherwise.
	// +optional
	// +kubebuilder:validation:MaxLength=15
	Port string `json:"port,omitempty"`
}

// SidecarInjection says whether Istio injects its sidecar into the gateway pods.
// +kubebuilder:validation:Enum=Enabled;Disabled;Inherit
type SidecarInjection string

const (
	SidecarInjectionEnabled  SidecarInjection = "Enabled"
	SidecarInjectionDisabled SidecarInjection = "Disabled"
	// SidecarInjectionInherit leaves the decision to the namespace's labels.
	SidecarInjectionInherit SidecarInjection = "Inherit"
)

// MTLSMode is the TLS the gateway uses towards its upstreams inside the mesh.
// +kubebuilder:validation:Enum=ISTIO_MUTUAL;DISABLE;Inherit
type MTLSMode string

const (
	MTLSModeIstioMutual MTLSMode = "ISTIO_MUTUAL"
	MTLSModeDisable     MTLSMode = "DISABLE"
	// MTLSModeInherit creates no DestinationRule or PeerAuthentication: the mesh's own
	// policies decide.
	MTLSModeInherit MTLSMode = "Inherit"
)

// MeshSpec configures the gateway's place in an Istio mesh.
// +kubebuilder:validation:XValidation:rule="!(has(self.mtls) && has(self.mtls.mode) && self.mtls.mode == 'ISTIO_MUTUAL' && has(self.sidecarInjection) && self.sidecarInjection == 'Disabled')",message="mtls.mode ISTIO_MUTUAL needs the Istio sidecar: set sidecarInjection to Enabled or Inherit"
type MeshSpec struct {
	// sidecarInjection: Enabled or Disabled sets the pod label sidecar.istio.io/inject;
	// Inherit leaves it to the namespace.
	// +optional
	// +kubebuilder:default=Inherit
	SidecarInjection SidecarInjection `json:"sidecarInjection,omitempty"`

	// revision of the Istio control plane that injects the sidecar (the istio.io/rev pod
	// label), for canary upgrades of Istio: a revision, or a revision tag such as
	// prod-stable.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="revision must be a DNS label: lowercase letters, digits and '-'"
	Revision string `json:"revision,omitempty"`

	// excludeOutboundPorts bypass the sidecar on the way out, for example the Konnect
	// control plane's port.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:Minimum=1
	// +kubebuilder:validation:items:Maximum=65535
	ExcludeOutboundPorts []int32 `json:"excludeOutboundPorts,omitempty"`

	// excludeOutboundIPRanges (CIDRs) bypass the sidecar on the way out.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=43
	// +kubebuilder:validation:XValidation:rule="self.all(r, isCIDR(r))",message="excludeOutboundIPRanges must be CIDRs such as 10.0.0.0/8"
	ExcludeOutboundIPRanges []string `json:"excludeOutboundIPRanges,omitempty"`

	// mtls sets the TLS towards the gateway's upstreams.
	// +optional
	MTLS *MeshMTLS `json:"mtls,omitempty"`

	// rollOnUpgrade rolls the gateway's pods once when the Istio revision that should inject
	// them changes (Istio upgraded in place, or the revision tag they follow moved), so that
	// they run the new sidecar. Within a namespace, one gateway rolls at a time. Without it,
	// MeshReady only reports SidecarOutdated.
	// +optional
	RollOnUpgrade bool `json:"rollOnUpgrade,omitempty"`
}

// MeshMTLS sets Istio mTLS for the gateway's traffic.
type MeshMTLS struct {
	// mode: ISTIO_MUTUAL owns a DestinationRule per upstream host (mTLS, for the gateway's
	// traffic only), one for the gateway's own Service, and a PeerAuthentication; DISABLE owns
	// DestinationRules that turn mTLS off towards the upstreams; Inherit owns none.
	// +optional
	// +kubebuilder:default=Inherit
	Mode MTLSMode `json:"mode,omitempty"`

	// upstreamHosts are the Service hosts Kong proxies to, such as
	// orders.shop.svc.cluster.local, or *.shop.svc.cluster.local for a whole namespace. Each
	// gets a DestinationRule, which the operator keeps in memory: at most 16.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.all(h, h.matches('^([*][.])?[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'))",message="each upstream host must be a DNS name such as orders.shop.svc.cluster.local"
	UpstreamHosts []string `json:"upstreamHosts,omitempty"`
}

// PodOverrides are the pod settings a user may change. They are typed on purpose: a raw
// PodTemplateSpec merge could undo the security settings Portico guarantees.
type PodOverrides struct {
	// labels are added to the gateway pods. Portico's own labels cannot be overridden.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, !(k in ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/component', 'gateway.portico.dev/gatewaydeployment']))",message="pod labels may not set app.kubernetes.io/name, app.kubernetes.io/instance, app.kubernetes.io/managed-by, app.kubernetes.io/component or gateway.portico.dev/gatewaydeployment: Portico uses them to select the gateway pods"
	Labels LabelMap `json:"labels,omitempty"`

	// annotations are added to the gateway pods.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.map(k, k.size() + self[k].size()).sum() <= 131072",message="pod annotations may hold at most 128 KiB of keys and values together"
	Annotations AnnotationMap `json:"annotations,omitempty"`

	// nodeSelector constrains the nodes the gateway pods run on.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	NodeSelector LabelMap `json:"nodeSelector,omitempty"`

	// tolerations let the gateway pods run on tainted nodes.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Tolerations []Toleration `json:"tolerations,omitempty"`

	// affinity sets node and pod (anti-)affinity for the gateway pods.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// topologySpreadConstraints spread the gateway pods across zones or nodes.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	TopologySpreadConstraints []TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// priorityClassName of the gateway pods.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="priorityClassName must be a DNS subdomain: lowercase letters, digits, '-' and '.'"
	PriorityClassName string `json:"priorityClassName,omitempty"`

	// serviceAccountName the gateway pods run as. The namespace's default ServiceAccount is
	// used when omitted.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="serviceAccountName must be a DNS subdomain: lowercase letters, digits, '-' and '.'"
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// runAsUser runs the gateway container as this UID. When it is unset, Portico names Kong's
	// UID (1000) on clusters that assign none (the kubelet cannot verify that the named user
	// Kong's images declare is not root, and would refuse the container), and none on
	// OpenShift, whose restricted-v2 policy assigns one from the namespace's range.
	// +optional
	// +kubebuilder:validation:Minimum=1
	RunAsUser *int64 `json:"runAsUser,omitempty"`

	// terminationGracePeriodSeconds gives Kong time to drain connections on shutdown.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`
}

// ServiceType is the type of the gateway's Service.
// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
type ServiceType string

const (
	ServiceTypeClusterIP    ServiceType = "ClusterIP"
	ServiceTypeNodePort     ServiceType = "NodePort"
	ServiceTypeLoadBalancer ServiceType = "LoadBalancer"
)

// ServiceSpec configures the gateway's Service.
// +kubebuilder:validation:XValidation:rule="!(has(self.type) && self.type == 'ClusterIP' && has(self.externalTrafficPolicy) && self.externalTrafficPolicy == 'Local')",message="externalTrafficPolicy Local needs an external Service: use type NodePort or LoadBalancer, or remove externalTrafficPolicy"
// +kubebuilder:validation:XValidation:rule="!has(self.loadBalancerClass) || !has(self.type) || self.type == 'LoadBalancer'",message="loadBalancerClass applies only to type LoadBalancer"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || self.type != 'ClusterIP' || !has(self.ports) || self.ports.all(p, !has(p.nodePort))",message="nodePort cannot be set on a ClusterIP Service: use type NodePort or LoadBalancer"
type ServiceSpec struct {
	// type of the Service.
	// +optional
	// +kubebuilder:default=LoadBalancer
	Type ServiceType `json:"type,omitempty"`

	// ports the Service exposes. Each one becomes a Kong proxy listener on its targetPort.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:default={{name: "http", port: 80, targetPort: 8000, protocol: "HTTP"}, {name: "https", port: 443, targetPort: 8443, protocol: "HTTPS"}}
	// +kubebuilder:validation:XValidation:rule="self.all(p, self.exists_one(q, q.port == p.port))",message="each service port number must be unique"
	// +kubebuilder:validation:XValidation:rule="self.all(p, self.exists_one(q, q.targetPort == p.targetPort))",message="each targetPort must be unique: it is a Kong listener"
	Ports []ServicePort `json:"ports,omitempty"`

	// annotations on the Service, for example a cloud load balancer's settings.
	// Changing them does not restart the gateway pods.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.map(k, k.size() + self[k].size()).sum() <= 16384",message="service annotations may hold at most 16 KiB of keys and values together"
	Annotations AnnotationMap `json:"annotations,omitempty"`

	// externalTrafficPolicy of a NodePort or LoadBalancer Service. Local keeps the client's
	// source IP.
	// +optional
	// +kubebuilder:validation:Enum=Cluster;Local
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy `json:"externalTrafficPolicy,omitempty"`

	// loadBalancerClass selects the load-balancer implementation of a LoadBalancer Service.
	// Kubernetes does not allow changing it once set.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$')",message="loadBalancerClass must be a qualified name such as example.com/internal-vip"
	LoadBalancerClass *string `json:"loadBalancerClass,omitempty"`
}

// ListenerProtocol is the protocol Kong speaks on a proxy listener.
// +kubebuilder:validation:Enum=HTTP;HTTPS
type ListenerProtocol string

const (
	ListenerProtocolHTTP  ListenerProtocol = "HTTP"
	ListenerProtocolHTTPS ListenerProtocol = "HTTPS"
)

// ServicePort is one port of the gateway's Service and the Kong proxy listener behind it.
type ServicePort struct {
	// name of the port, also used for the container port: a DNS label of at most 15 characters.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=15
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$') && self.matches('[a-z]')",message="port name must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, with at least one letter"
	// +kubebuilder:validation:XValidation:rule="self != 'status'",message="port name status is reserved for Kong's status listener"
	Name string `json:"name"`

	// port the Service exposes.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`

	// targetPort is the port Kong listens on in the pod. Kong runs without privileges, so it
	// must be 1024 or above; 8100 is Kong's status listener.
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:XValidation:rule="self != 8100",message="targetPort 8100 is reserved for Kong's status listener"
	TargetPort int32 `json:"targetPort"`

	// protocol Kong speaks on this listener.
	// +optional
	// +kubebuilder:default=HTTP
	Protocol ListenerProtocol `json:"protocol,omitempty"`

	// nodePort for a NodePort or LoadBalancer Service; allocated by Kubernetes when omitted.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	NodePort *int32 `json:"nodePort,omitempty"`
}

// RolloutSpec tunes the gateway's rolling updates. The defaults (one extra pod, none
// unavailable) keep full capacity during a rollout.
// +kubebuilder:validation:XValidation:rule="!(has(self.maxSurge) && has(self.maxUnavailable) && string(self.maxSurge) in ['0', '0%'] && string(self.maxUnavailable) in ['0', '0%'])",message="maxSurge and maxUnavailable cannot both be 0: the rollout could never make progress"
// +kubebuilder:validation:XValidation:rule="!has(self.progressDeadlineSeconds) || !has(self.minReadySeconds) || self.progressDeadlineSeconds > self.minReadySeconds",message="progressDeadlineSeconds must be greater than minReadySeconds"
type RolloutSpec struct {
	// maxSurge is how many pods above the desired count may exist during a rollout
	// (a number, or a percentage such as "25%").
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]+%$')",message="maxSurge must be a non-negative number or a percentage such as '25%'"
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`

	// maxUnavailable is how many desired pods may be unavailable during a rollout
	// (a number, or a percentage such as "25%").
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]+%$')",message="maxUnavailable must be a non-negative number or a percentage such as '25%'"
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// minReadySeconds a new pod must be ready before it counts as available.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	MinReadySeconds int32 `json:"minReadySeconds,omitempty"`

	// progressDeadlineSeconds is how long a rollout may go without progress before the
	// GatewayDeployment reports Degraded with reason ProgressDeadlineExceeded. Kubernetes'
	// default (600) applies when omitted.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=86400
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`
}

// AddressType tells how to read an address's value.
// +kubebuilder:validation:Enum=IPAddress;Hostname
type AddressType string

const (
	AddressTypeIPAddress AddressType = "IPAddress"
	AddressTypeHostname  AddressType = "Hostname"
)

// GatewayAddress is an address at which the gateway's Service can be reached.
type GatewayAddress struct {
	// type of the value.
	Type AddressType `json:"type"`
	// value is an IP address or a hostname.
	Value string `json:"value"`
}

// MeshStatus summarises what Portico did for the mesh.
type MeshStatus struct {
	// injectedPods is how many ready gateway pods run an Istio sidecar.
	InjectedPods int32 `json:"injectedPods"`
	// destinationRules Portico owns for this gateway.
	DestinationRules int32 `json:"destinationRules"`
	// peerAuthentication is true when Portico owns a PeerAuthentication for the gateway pods.
	PeerAuthentication bool `json:"peerAuthentication"`
	// upstreamHosts have a DestinationRule each: spec.mesh.mtls.upstreamHosts, or, without
	// them, the cluster Services the configuration's upstreams name.
	// +optional
	UpstreamHosts []string `json:"upstreamHosts,omitempty"`
	// sidecarRevision is the Istio revision that should inject the pods now: spec.mesh.revision,
	// the namespace's, or the default, with a revision tag resolved to its revision.
	// +optional
	SidecarRevision string `json:"sidecarRevision,omitempty"`
	// runningRevisions are the revisions whose sidecars the ready pods run.
	// +optional
	// +listType=atomic
	RunningRevisions []string `json:"runningRevisions,omitempty"`
}

// KonnectStatus summarises the gateway's Konnect registration.
type KonnectStatus struct {
	// controlPlaneID is the control plane the gateway is registered with.
	// +optional
	ControlPlaneID string `json:"controlPlaneID,omitempty"`
	// controlPlaneEndpoint is the host the data planes connect to.
	// +optional
	ControlPlaneEndpoint string `json:"controlPlaneEndpoint,omitempty"`
	// certificateID is the id Konnect gave the pinned client certificate the pods use.
	// +optional
	CertificateID string `json:"certificateID,omitempty"`
	// certificateNotAfter is when that certificate expires.
	// +optional
	CertificateNotAfter *metav1.Time `json:"certificateNotAfter,omitempty"`
	// connectedNodes is how many ready gateway pods checked in with the control plane lately.
	ConnectedNodes int32 `json:"connectedNodes"`
}

// CertificateStatus describes one listener certificate.
type CertificateStatus struct {
	// secretName is the Secret it comes from.
	SecretName string `json:"secretName"`
	// notAfter is when it expires.
	NotAfter metav1.Time `json:"notAfter"`
	// dnsNames are the names it is valid for.
	// +optional
	// +listType=atomic
	DNSNames []string `json:"dnsNames,omitempty"`
}

// AutoscalingStatus is what the gateway's HorizontalPodAutoscaler reports.
type AutoscalingStatus struct {
	// currentReplicas is how many pods the HorizontalPodAutoscaler last saw.
	CurrentReplicas int32 `json:"currentReplicas"`
	// desiredReplicas is how many pods it last asked for.
	DesiredReplicas int32 `json:"desiredReplicas"`
	// lastScaleTime is when it last changed the number of pods.
	// +optional
	LastScaleTime *metav1.Time `json:"lastScaleTime,omitempty"`
}

// GatewayDeploymentStatus is the observed state of a GatewayDeployment.
type GatewayDeploymentStatus struct {
	// observedGeneration is the spec generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// replicas is the number of gateway pods that exist (the scale subresource's status).
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
	// readyReplicas is the number of gateway pods that pass their readiness probe.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
	// updatedReplicas is the number of gateway pods running the current spec.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`
	// availableReplicas is the number of gateway pods ready for at least minReadySeconds.
	// +optional
	AvailableReplicas int32 `json:"availableReplicas,omitempty"`
	// readySummary shows ready and desired replicas as "ready/desired".
	// +optional
	ReadySummary string `json:"readySummary,omitempty"`

	// selector is the label selector of the gateway pods, for the scale subresource.
	// +optional
	Selector string `json:"selector,omitempty"`

	// addresses of the gateway's Service: load-balancer ingress first, then the cluster IP.
	// +optional
	// +listType=atomic
	Addresses []GatewayAddress `json:"addresses,omitempty"`

	// mesh summarises the gateway's Istio settings, when it asks for any.
	// +optional
	Mesh *MeshStatus `json:"mesh,omitempty"`

	// tls describes the certificates of the HTTPS listeners, when spec.tls names any: those
	// the pods serve, not those waiting to be used.
	// +optional
	// +listType=atomic
	TLS []CertificateStatus `json:"tls,omitempty"`

	// autoscaling is the HorizontalPodAutoscaler's view, when spec.autoscaling is set.
	// +optional
	Autoscaling *AutoscalingStatus `json:"autoscaling,omitempty"`

	// konnect summarises the gateway's registration with Konnect, when it asks for one.
	// +optional
	Konnect *KonnectStatus `json:"konnect,omitempty"`

	// conditions: Ready summarises the others (Available, Progressing, Degraded; MeshReady,
	// RouteAdmitted, KonnectRegistered and KonnectConnected when those parts are asked for).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// GatewayDeployment runs a Kong Gateway data plane: its Deployment, its Service and the status
// that tells whether it serves.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:resource:shortName=gwd,categories=portico
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Replicas",type=string,JSONPath=`.status.readySummary`
// +kubebuilder:printcolumn:name="Address",type=string,JSONPath=`.status.addresses[0].value`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Config",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="ConfigValid")].reason`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="name must be a DNS label of at most 63 characters starting with a letter: it names the gateway's Deployment and Service"
type GatewayDeployment struct {
	metav1.TypeMeta `json:",inline"`

	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +optional
	// +kubebuilder:default={}
	Spec GatewayDeploymentSpec `json:"spec,omitempty"`

	// +optional
	Status GatewayDeploymentStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// GatewayDeploymentList contains a list of GatewayDeployment.
type GatewayDeploymentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GatewayDeployment `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &GatewayDeployment{}, &GatewayDeploymentList{})
		return nil
	})
}
