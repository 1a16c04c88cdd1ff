// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	securityv1beta1 "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"
	istiometaac "istio.io/client-go/pkg/applyconfiguration/meta/v1"
	istionetworkingac "istio.io/client-go/pkg/applyconfiguration/networking/v1"
	istiosecurityac "istio.io/client-go/pkg/applyconfiguration/security/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/convert"
)

// ComponentMesh is the app.kubernetes.io/component of the Istio objects Portico owns.
const ComponentMesh = "mesh"

// Istio's pod labels and annotations.
const (
	labelSidecarInject        = "sidecar.istio.io/inject"
	labelIstioRevision        = "istio.io/rev"
	annotationInboundPorts    = "traffic.sidecar.istio.io/includeInboundPorts"
	annotationProxyConfig     = "proxy.istio.io/config"
	annotationExcludePorts    = "traffic.sidecar.istio.io/excludeOutboundPorts"
	annotationExcludeIPRanges = "traffic.sidecar.istio.io/excludeOutboundIPRanges"
)

// AnnotationIstioInjector on a meshed pod template records that Istio's sidecar injector was
// registered when it was rendered: pods created before it came have no sidecar, and the
// change of this annotation rolls them.
const AnnotationIstioInjector = "gateway.portico.dev/istio-injector"

// AnnotationSidecarRevision on a meshed pod template, with spec.mesh.rollOnUpgrade, names the
// Istio revision that should inject the pods: a new revision is a new template, so one roll.
const AnnotationSidecarRevision = "gateway.portico.dev/sidecar-revision"

// meshPodLabels are the injection labels for the gateway pods.
func meshPodLabels(m *gatewayv1alpha1.MeshSpec) map[string]string {
	out := map[string]string{}
	if m == nil {
		return out
	}
	switch m.SidecarInjection {
	case gatewayv1alpha1.SidecarInjectionEnabled:
		out[labelSidecarInject] = "true"
	case gatewayv1alpha1.SidecarInjectionDisabled:
		out[labelSidecarInject] = "false"
	}
	if m.Revision != "" && m.SidecarInjection != gatewayv1alpha1.SidecarInjectionDisabled {
		out[labelIstioRevision] = m.Revision
	}
	return out
}

// meshPodAnnotations shape the sidecar around an edge gateway. They have no effect on a pod
// without a sidecar, so they are set whenever one may be injected.
func meshPodAnnotations(m *gatewayv1alpha1.MeshSpec) map[string]string {
	out := map[string]string{}
	if m == nil || m.SidecarInjection == gatewayv1alpha1.SidecarInjectionDisabled {
		return out
	}
	// Clients outside the mesh reach Kong directly and keep their source IP; only Kong's
	// outbound calls to its upstreams go through the sidecar.
	out[annotationInboundPorts] = ""
	// Kong's first upstream calls must not race the sidecar's start.
	out[annotationProxyConfig] = `{"holdApplicationUntilProxyStarts":true}`
	if len(m.ExcludeOutboundPorts) > 0 {
		ports := make([]string, 0, len(m.ExcludeOutboundPorts))
		for _, p := range m.ExcludeOutboundPorts {
			ports = append(ports, strconv.Itoa(int(p)))
		}
		out[annotationExcludePorts] = strings.Join(ports, ",")
	}
	if len(m.ExcludeOutboundIPRanges) > 0 {
		out[annotationExcludeIPRanges] = strings.Join(m.ExcludeOutboundIPRanges, ",")
	}
	return out
}

// DestinationRules are the rules Portico owns for gwd: one per upstream host, scoped to the
// gateway's own pods, and one for the gateway's Service.
func DestinationRules(in Inputs) ([]*istionetworkingac.DestinationRuleApplyConfiguration, error) {
	gwd := in.GatewayDeployment
	m := gwd.Spec.Mesh
	if m == nil || m.MTLSModeOrDefault() == gatewayv1alpha1.MTLSModeInherit {
		return nil, nil
	}
	tlsMode := networkingv1alpha3.ClientTLSSettings_ISTIO_MUTUAL
	if m.MTLSModeOrDefault() == gatewayv1alpha1.MTLSModeDisable {
		tlsMode = networkingv1alpha3.ClientTLSSettings_DISABLE
	}

	var rules []*istionetworkingac.DestinationRuleApplyConfiguration
	for _, host := range UpstreamHosts(in) {
		rule, err := destinationRule(gwd, UpstreamDestinationRuleName(gwd.Name, host), &networkingv1alpha3.DestinationRule{
			Host: host,
			// Only this namespace, and only the gateway's pods: other teams' traffic to the same
			// host keeps whatever rules they have.
			ExportTo:         []string{"."},
			WorkloadSelector: &typev1beta1.WorkloadSelector{MatchLabels: gwd.SelectorLabels()},
			TrafficPolicy:    &networkingv1alpha3.TrafficPolicy{Tls: &networkingv1alpha3.ClientTLSSettings{Mode: tlsMode}},
		})
		if err != nil {
			return nil, err
		}
		rules = append(rules, rule)
	}

	// The gateway's sidecar does not intercept the proxy ports, so an in-mesh caller must not
	// wrap its traffic to them in Istio mTLS (the short host is resolved in this namespace).
	var ports []*networkingv1alpha3.TrafficPolicy_PortTrafficPolicy
	for _, p := range gwd.Spec.Service.Ports {
		ports = append(ports, &networkingv1alpha3.TrafficPolicy_PortTrafficPolicy{
			Port: &networkingv1alpha3.PortSelector{Number: uint32(p.Port)},
			Tls:  &networkingv1alpha3.ClientTLSSettings{Mode: networkingv1alpha3.ClientTLSSettings_DISABLE},
		})
	}
	own, err := destinationRule(gwd, gwd.Name+"-gateway", &networkingv1alpha3.DestinationRule{
		Host:          gwd.Name,
		ExportTo:      []string{"."},
		TrafficPolicy: &networkingv1alpha3.TrafficPolicy{PortLevelSettings: ports},
	})
	if err != nil {
		return nil, err
	}
	rules = append(rules, own)
	for _, r := range rules {
		if err := stampSpecHash(r, r.WithAnnotations); err != nil {
			return nil, err
		}
	}
	return rules, nil
}

// UpstreamHosts are the hosts that get a DestinationRule: those spec.mesh.mtls lists, or
// without them those the configuration's upstreams name.
func UpstreamHosts(in Inputs) []string {
	if m := in.GatewayDeployment.Spec.Mesh; m != nil && m.MTLS != nil && len(m.MTLS.UpstreamHosts) > 0 {
		return m.MTLS.UpstreamHosts
	}
	return in.ConfigUpstreamHosts
}

// UpstreamDestinationRuleName is deterministic per host: a restart never makes a second one.
func UpstreamDestinationRuleName(gwdName, host string) string {
	sum := sha256.Sum256([]byte(host))
	return gwdName + "-upstream-" + hex.EncodeToString(sum[:5])
}

func destinationRule(gwd *gatewayv1alpha1.GatewayDeployment, name string, spec *networkingv1alpha3.DestinationRule) (*istionetworkingac.DestinationRuleApplyConfiguration, error) {
	owner, err := istioOwnerReference(gwd)
	if err != nil {
		return nil, err
	}
	dr := istionetworkingac.DestinationRule(name, gwd.Namespace).
		WithLabels(Labels(gwd, ComponentMesh)).
		WithOwnerReferences(owner)
	// Set, not WithSpec: that copies the proto message, lock and all.
	dr.Spec = spec
	return dr, nil
}

// PeerAuthentication is STRICT mTLS for the gateway pods' mesh-facing ports and PERMISSIVE
// for the public proxy ports, or nil when gwd asks for no Istio mTLS.
func PeerAuthentication(in Inputs) (*istiosecurityac.PeerAuthenticationApplyConfiguration, error) {
	gwd := in.GatewayDeployment
	m := gwd.Spec.Mesh
	if m == nil || m.MTLSModeOrDefault() != gatewayv1alpha1.MTLSModeIstioMutual {
		return nil, nil
	}
	public := map[uint32]*securityv1beta1.PeerAuthentication_MutualTLS{}
	for _, p := range gwd.Spec.Service.Ports {
		public[uint32(p.TargetPort)] = &securityv1beta1.PeerAuthentication_MutualTLS{Mode: securityv1beta1.PeerAuthentication_MutualTLS_PERMISSIVE}
	}
	owner, err := istioOwnerReference(gwd)
	if err != nil {
		return nil, err
	}
	pa := istiosecurityac.PeerAuthentication(gwd.Name, gwd.Namespace).
		WithLabels(Labels(gwd, ComponentMesh)).
		WithOwnerReferences(owner)
	pa.Spec = &securityv1beta1.PeerAuthentication{
		Selector:      &typev1beta1.WorkloadSelector{MatchLabels: gwd.SelectorLabels()},
		Mtls:          &securityv1beta1.PeerAuthentication_MutualTLS{Mode: securityv1beta1.PeerAuthentication_MutualTLS_STRICT},
		PortLevelMtls: public,
	}
	if err := stampSpecHash(pa, pa.WithAnnotations); err != nil {
		return nil, err
	}
	return pa, nil
}

// istioOwnerReference is ownerReference in the type Istio's apply configurations take.
func istioOwnerReference(gwd *gatewayv1alpha1.GatewayDeployment) (*istiometaac.OwnerReferenceApplyConfiguration, error) {
	return convert.To[istiometaac.OwnerReferenceApplyConfiguration](ownerReference(gwd))
}
