// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// Kong's fixed layout inside the gateway pod.
const (
	// StatusPort serves /status and /status/ready, which the probes use.
	StatusPort     = 8100
	statusPortName = "status"
	// prefixDir is Kong's working directory: an emptyDir, as the root filesystem is read-only.
	prefixDir = "/kong_prefix"
	tmpDir    = "/tmp"
)

// ownedEnv are the Kong settings Portico derives from the spec. The CRD rejects them in
// spec.env (keep its rule in sync with this list).
func ownedEnv(spec *gatewayv1alpha1.GatewayDeploymentSpec) []corev1.EnvVar {
	return []corev1.EnvVar{
		{Name: "KONG_DATABASE", Value: "off"},
		{Name: "KONG_PREFIX", Value: prefixDir},
		{Name: "KONG_NGINX_DAEMON", Value: "off"},
		{Name: "KONG_PROXY_LISTEN", Value: proxyListen(spec.Service.Ports)},
		{Name: "KONG_PORT_MAPS", Value: portMaps(spec.Service.Ports)},
		{Name: "KONG_STATUS_LISTEN", Value: fmt.Sprintf("0.0.0.0:%d", StatusPort)},
	}
}

// defaultEnv are settings a user may replace through spec.env.
var defaultEnv = []corev1.EnvVar{
	// The Admin API stays off unless asked for: a DB-less data plane is configured otherwise.
	{Name: "KONG_ADMIN_LISTEN", Value: "off"},
	{Name: "KONG_PROXY_ACCESS_LOG", Value: "/dev/stdout"},
	{Name: "KONG_PROXY_ERROR_LOG", Value: "/dev/stderr"},
	{Name: "KONG_ADMIN_ACCESS_LOG", Value: "/dev/stdout"},
	{Name: "KONG_ADMIN_ERROR_LOG", Value: "/dev/stderr"},
	// Probes hit the status listener every few seconds; logging each would drown real traffic.
	{Name: "KONG_STATUS_ACCESS_LOG", Value: "off"},
	{Name: "KONG_STATUS_ERROR_LOG", Value: "/dev/stderr"},
}

// KongUID is the UID of the user Kong's images declare (USER kong).
const KongUID int64 = 1000

// gatewayEnv is the container's env: owned settings, then defaults and the cluster proxy (a
// user variable of the same name takes their place), then the other user variables in order.
func gatewayEnv(spec *gatewayv1alpha1.GatewayDeploymentSpec, proxyEnv []corev1.EnvVar, konnect *Konnect) []corev1.EnvVar {
	userEnv := make([]corev1.EnvVar, len(spec.Env))
	user := make(map[string]corev1.EnvVar, len(spec.Env))
	for i, e := range spec.Env {
		userEnv[i] = e.Kubernetes()
		user[e.Name] = userEnv[i]
	}
	env := ownedEnv(spec)
	defaults := append([]corev1.EnvVar(nil), defaultEnv...)
	if konnect != nil {
		env = append(env, konnectEnv(konnect)...)
		defaults = append(defaults, konnectDefaultEnv...)
	}
	replaced := make(map[string]bool, len(defaults))
	for _, d := range append(defaults, clusterProxy(proxyEnv, userEnv)...) {
		if u, ok := user[d.Name]; ok {
			d = u
			replaced[d.Name] = true
		}
		env = append(env, d)
	}
	for _, e := range userEnv {
		if !replaced[e.Name] {
			env = append(env, e)
		}
	}
	return env
}

// clusterProxy is the part of the cluster's proxy settings the gateway takes: those with a
// value, and none the spec sets itself in either spelling (programs differ in whether they
// read NO_PROXY or no_proxy, so a user's setting must replace both).
func clusterProxy(proxyEnv, userEnv []corev1.EnvVar) []corev1.EnvVar {
	userSet := map[string]bool{}
	for _, e := range userEnv {
		userSet[strings.ToUpper(e.Name)] = true
	}
	var out []corev1.EnvVar
	for _, e := range proxyEnv {
		if e.Value != "" && !userSet[strings.ToUpper(e.Name)] {
			out = append(out, e)
		}
	}
	return out
}

// proxyListen is KONG_PROXY_LISTEN: one listener per Service port, on its targetPort.
func proxyListen(ports []gatewayv1alpha1.ServicePort) string {
	listeners := make([]string, 0, len(ports))
	for _, p := range ports {
		l := fmt.Sprintf("0.0.0.0:%d", p.TargetPort)
		if p.Protocol == gatewayv1alpha1.ListenerProtocolHTTPS {
			l += " http2 ssl"
		}
		listeners = append(listeners, l+" reuseport backlog=16384")
	}
	return strings.Join(listeners, ", ")
}

// portMaps is KONG_PORT_MAPS, so Kong knows the ports clients use (for redirects and headers).
func portMaps(ports []gatewayv1alpha1.ServicePort) string {
	maps := make([]string, 0, len(ports))
	for _, p := range ports {
		maps = append(maps, fmt.Sprintf("%d:%d", p.Port, p.TargetPort))
	}
	return strings.Join(maps, ", ")
}
