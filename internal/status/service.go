// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	corev1 "k8s.io/api/core/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// addresses lists where the Service answers: load-balancer ingress first, then cluster IPs.
func addresses(svc *corev1.Service) []gatewayv1alpha1.GatewayAddress {
	if svc == nil {
		return nil
	}
	var out []gatewayv1alpha1.GatewayAddress
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if ing.IP != "" {
			out = append(out, gatewayv1alpha1.GatewayAddress{Type: gatewayv1alpha1.AddressTypeIPAddress, Value: ing.IP})
		}
		if ing.Hostname != "" {
			out = append(out, gatewayv1alpha1.GatewayAddress{Type: gatewayv1alpha1.AddressTypeHostname, Value: ing.Hostname})
		}
	}
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips = []string{svc.Spec.ClusterIP}
	}
	for _, ip := range ips {
		if ip != corev1.ClusterIPNone {
			out = append(out, gatewayv1alpha1.GatewayAddress{Type: gatewayv1alpha1.AddressTypeIPAddress, Value: ip})
		}
	}
	return out
}
