// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package render builds the objects a GatewayDeployment needs. Every function here is pure:
// the same Inputs always give the same objects, with no client, clock or randomness.
package render

import (
	istionetworkingac "istio.io/client-go/pkg/applyconfiguration/networking/v1"
	istiosecurityac "istio.io/client-go/pkg/applyconfiguration/security/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	autoscalingv2ac "k8s.io/client-go/applyconfigurations/autoscaling/v2"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	policyv1ac "k8s.io/client-go/applyconfigurations/policy/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// Inputs is everything a render needs: the GatewayDeployment and what was resolved for it.
type Inputs struct {
	// GatewayDeployment is the object being reconciled; its spec has the API server's defaults.
	GatewayDeployment *gatewayv1alpha1.GatewayDeployment
	// DefaultImage is used when the spec names no image.
	DefaultImage string
	// ProxyEnv is the cluster's proxy (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) as the operator was
	// given it; the gateway gets it too, unless its spec sets its own.
	ProxyEnv []corev1.EnvVar
	// InjectorPresent tells whether Istio's sidecar injector is registered (see
	// AnnotationIstioInjector).
	InjectorPresent bool
	// SidecarRevision, when set (spec.mesh.rollOnUpgrade), is the Istio revision the pod
	// template names, so that a new one rolls the pods once.
	SidecarRevision string
	// Konnect is the registration to connect with; nil when spec.konnect is unset or the
	// gateway is not registered yet.
	Konnect *Konnect
	// AssignsUID tells whether the cluster assigns the pods' UID (OpenShift's security context
	// constraints): then the gateway container names none unless the spec does.
	AssignsUID bool
	// Config is the checked copy of spec.config the pods load; nil without spec.config (then
	// a gateway without Konnect loads DefaultConfig).
	Config *Config
	// ConfigUpstreamHosts are the cluster Services the configuration's upstreams name: the
	// hosts that get a DestinationRule when spec.mesh.mtls.upstreamHosts lists none.
	ConfigUpstreamHosts []string
	// TLS is the checked copy of spec.tls's certificates; nil without spec.tls, or before
	// any of them could be used.
	TLS *TLS
}

// Objects are the desired children, as server-side apply configurations holding exactly the
// fields Portico owns.
type Objects struct {
	// Deployment is nil for a Konnect gateway not registered yet.
	Deployment *appsv1ac.DeploymentApplyConfiguration
	Service    *corev1ac.ServiceApplyConfiguration
	// DestinationRules and PeerAuthentication are Istio's; empty and nil when not asked for.
	DestinationRules   []*istionetworkingac.DestinationRuleApplyConfiguration
	PeerAuthentication *istiosecurityac.PeerAuthenticationApplyConfiguration
	// Route is OpenShift's; nil when not asked for.
	Route *unstructured.Unstructured
	// PodDisruptionBudget and HorizontalPodAutoscaler are nil when not asked for.
	PodDisruptionBudget     *policyv1ac.PodDisruptionBudgetApplyConfiguration
	HorizontalPodAutoscaler *autoscalingv2ac.HorizontalPodAutoscalerApplyConfiguration
}

// ownerGVK is the GatewayDeployment's kind, for owner references.
var ownerGVK = schema.GroupVersionKind{
	Group:   gatewayv1alpha1.GroupVersion.Group,
	Version: gatewayv1alpha1.GroupVersion.Version,
	Kind:    "GatewayDeployment",
}

// Render builds every desired child of in.GatewayDeployment.
func Render(in Inputs) (*Objects, error) {
	deployment, err := Deployment(in)
	if err != nil {
		return nil, err
	}
	service := Service(in)
	if err := stampSpecHash(deployment, deployment.WithAnnotations); err != nil {
		return nil, err
	}
	if err := stampSpecHash(service, service.WithAnnotations); err != nil {
		return nil, err
	}
	rules, err := DestinationRules(in)
	if err != nil {
		return nil, err
	}
	peerAuthentication, err := PeerAuthentication(in)
	if err != nil {
		return nil, err
	}
	route, err := Route(in)
	if err != nil {
		return nil, err
	}
	pdb, err := PodDisruptionBudget(in)
	if err != nil {
		return nil, err
	}
	hpa, err := HorizontalPodAutoscaler(in)
	if err != nil {
		return nil, err
	}
	if in.GatewayDeployment.Spec.Konnect != nil && in.Konnect == nil {
		// A data plane without its control plane serves nothing: no Deployment until the
		// gateway is registered (an existing one is left as it is), nor an autoscaler for it.
		deployment, hpa = nil, nil
	}
	return &Objects{Deployment: deployment, Service: service, DestinationRules: rules, PeerAuthentication: peerAuthentication, Route: route,
		PodDisruptionBudget: pdb, HorizontalPodAutoscaler: hpa}, nil
}
