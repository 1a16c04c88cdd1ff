// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

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
	// configDir holds the declarative configuration, mounted read-only from Portico's copy.
	configDir    = "/etc/kong/declarative"
	configFile   = "kong.yml"
	configVolume = "kong-config"
)

// DefaultConfig is what a gateway with neither spec.config nor Konnect loads: Kong in DB-less
// mode reports ready only once it has loaded a non-empty configuration, so it holds one
// upstream without targets. It routes nothing: every request gets Kong's 404.
const DefaultConfig = `{"_format_version":"3.0","upstreams":[{"name":"portico-no-routes"}]}`

// Config is the copy of a checked configuration that the pods mount.
type Config struct {
	// Secret tells a Secret from a ConfigMap: a configuration from a Secret is copied into
	// one, to stay out of ConfigMaps.
	Secret bool
	// Name of the copy, which carries the content's hash: a new configuration is a new name,
	// and so one rollout.
	Name string
}

// ConfigKey is the key of the configuration in Portico's copy.
const ConfigKey = configFile

// ConfigCopyName is the name of the copy of a configuration with content hash hash.
func ConfigCopyName(gwdName, hash string) string { return gwdName + "-config-" + hash }

func configEnv(spec *gatewayv1alpha1.GatewayDeploymentSpec, config *Config) []corev1.EnvVar {
	switch {
	case config != nil:
		return []corev1.EnvVar{{Name: "KONG_DECLARATIVE_CONFIG", Value: configDir + "/" + configFile}}
	case spec.Konnect == nil:
		return []corev1.EnvVar{{Name: "KONG_DECLARATIVE_CONFIG_STRING", Value: DefaultConfig}}
	}
	return nil
}

func configVolumeSource(c *Config) *corev1ac.VolumeApplyConfiguration {
	items := corev1ac.KeyToPath().WithKey(ConfigKey).WithPath(configFile)
	if c.Secret {
		return corev1ac.Volume().WithName(configVolume).WithSecret(corev1ac.SecretVolumeSource().WithSecretName(c.Name).WithItems(items))
	}
	return corev1ac.Volume().WithName(configVolume).WithConfigMap(corev1ac.ConfigMapVolumeSource().WithName(c.Name).WithItems(items))
}

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
func gatewayEnv(spec *gatewayv1alpha1.GatewayDeploymentSpec, proxyEnv []corev1.EnvVar, konnect *Konnect, config *Config, tls *TLS) []corev1.EnvVar {
	userEnv := make([]corev1.EnvVar, len(spec.Env))
	user := make(map[string]corev1.EnvVar, len(spec.Env))
	for i, e := range spec.Env {
		userEnv[i] = e.Kubernetes()
		user[e.Name] = userEnv[i]
	}
	env := append(ownedEnv(spec), configEnv(spec, config)...)
	defaults := append([]corev1.EnvVar(nil), defaultEnv...)
	if tls != nil {
		env = append(env, tlsEnv(tls)...)
	}
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
