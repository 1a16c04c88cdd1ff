// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// Service builds the Service in front of the gateway's proxy listeners.
func Service(in Inputs) *corev1ac.ServiceApplyConfiguration {
	gwd := in.GatewayDeployment
	s := gwd.Spec.Service

	ports := make([]*corev1ac.ServicePortApplyConfiguration, 0, len(s.Ports))
	for _, p := range s.Ports {
		port := corev1ac.ServicePort().
			WithName(p.Name).
			WithProtocol(corev1.ProtocolTCP).
			// appProtocol lets a service mesh treat the port by its real protocol.
			WithAppProtocol(appProtocol(p.Protocol)).
			WithPort(p.Port).
			WithTargetPort(intstr.FromInt32(p.TargetPort))
		if p.NodePort != nil {
			port.WithNodePort(*p.NodePort)
		}
		ports = append(ports, port)
	}

	serviceType := corev1.ServiceType(s.Type)
	if serviceType == "" {
		serviceType = corev1.ServiceTypeLoadBalancer
	}
	spec := corev1ac.ServiceSpec().
		WithType(serviceType).
		WithSelector(gwd.SelectorLabels()).
		WithPorts(ports...)
	if s.ExternalTrafficPolicy != "" && serviceType != corev1.ServiceTypeClusterIP {
		spec.WithExternalTrafficPolicy(s.ExternalTrafficPolicy)
	}
	if s.LoadBalancerClass != nil && serviceType == corev1.ServiceTypeLoadBalancer {
		spec.WithLoadBalancerClass(*s.LoadBalancerClass)
	}

	svc := corev1ac.Service(gwd.Name, gwd.Namespace).
		WithLabels(Labels(gwd, gatewayv1alpha1.ComponentGateway)).
		WithOwnerReferences(ownerReference(gwd)).
		WithSpec(spec)
	if len(s.Annotations) > 0 {
		svc.WithAnnotations(s.Annotations)
	}
	return svc
}

func appProtocol(p gatewayv1alpha1.ListenerProtocol) string {
	if p == gatewayv1alpha1.ListenerProtocolHTTPS {
		return "https"
	}
	return "http"
}
