// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package kongconfig

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ServiceAddress is the host a service sends to, from its url or its host field.
func ServiceAddress(service map[string]any) (string, error) {
	raw := str(service, "url")
	if raw == "" {
		return str(service, "host"), nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute URL (scheme://host[:port][/path])", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("port %s is not a port (1-65535)", p)
		}
	}
	return u.Hostname(), nil
}

// SplitTarget splits an upstream target, host[:port] or [ipv6]:port, into its parts (port 0
// when absent).
func SplitTarget(target string) (string, int, error) {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		// No port: a bare host or IP (an IPv6 one in brackets or not).
		return strings.Trim(target, "[]"), 0, nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", 0, fmt.Errorf("port %s of target %q is not a port (1-65535)", port, target)
	}
	return host, n, nil
}

// MeshView is how a configuration's upstreams meet an Istio sidecar.
type MeshView struct {
	// Hosts are the cluster Services the upstreams name, fully qualified, sorted: those that
	// need a DestinationRule for mTLS.
	Hosts []string
	// Bypasses are upstreams the sidecar cannot match to a Service: their calls leave
	// without mTLS. Each names the service or route and why.
	Bypasses []Problem
}

// BypassSummary is the first few bypasses, then how many more; "" when there are none.
func (v MeshView) BypassSummary(first int) string { return summarize(v.Bypasses, 0, first) }

// Mesh reads where the configuration's services send their calls, for a gateway in
// namespace (short Service names resolve there).
func (r *Report) Mesh(namespace string) MeshView {
	var view MeshView
	if r.doc == nil {
		return view
	}
	e := r.entities
	upstreams := map[string]entity{}
	for _, u := range e.upstreams {
		upstreams[str(u.fields, "name")] = u
	}
	hosts := map[string]bool{}
	inMesh := map[string]bool{} // service names and paths whose calls reach a cluster Service
	for _, s := range e.services {
		for _, d := range destinations(s, upstreams) {
			switch kind, fqdn := classify(d.host, namespace); kind {
			case hostIP:
				view.Bypasses = append(view.Bypasses, Problem{d.at, fmt.Sprintf("%s is an IP address: the sidecar matches no DestinationRule to it and sends the call without mTLS; name the Service instead", d.host)})
			case hostPod:
				view.Bypasses = append(view.Bypasses, Problem{d.at, fmt.Sprintf("%s is a pod's DNS name: the sidecar matches no DestinationRule to it and sends the call without mTLS; name the Service instead", d.host)})
			case hostService:
				hosts[fqdn], inMesh[s.path] = true, true
				if name := str(s.fields, "name"); name != "" {
					inMesh[name] = true
				}
			}
		}
	}
	for _, rt := range e.routes {
		if v, _ := rt.fields["preserve_host"].(bool); !v {
			continue
		}
		service := rt.parentService
		if svc, ok := rt.fields["service"].(map[string]any); ok && service == "" {
			service = str(svc, "name")
		}
		if inMesh[service] {
			view.Bypasses = append(view.Bypasses, Problem{join(rt.path, "preserve_host"), fmt.Sprintf("sends the client's Host header to service %s in the mesh: the sidecar routes by that header, matches no Service and sends the call through its passthrough cluster, without mTLS", service)})
		}
	}
	if len(hosts) > 0 {
		view.Hosts = slices.Sorted(maps.Keys(hosts))
	}
	return view
}

// destination is a host a service's calls go to, and where the configuration says so.
type destination struct{ host, at string }

// destinations are where a service sends its calls: its host, or the targets of the upstream
// its host names.
func destinations(s entity, upstreams map[string]entity) []destination {
	host, err := ServiceAddress(s.fields)
	if err != nil || host == "" {
		return nil
	}
	label := s.path
	if name := str(s.fields, "name"); name != "" {
		label = fmt.Sprintf("%s (service %s)", s.path, name)
	}
	u, ok := upstreams[host]
	if !ok {
		return []destination{{host, label}}
	}
	var out []destination
	targets, _ := u.fields["targets"].([]any)
	for i, t := range targets {
		if m, ok := t.(map[string]any); ok {
			if h, _, err := SplitTarget(str(m, "target")); err == nil {
				out = append(out, destination{h, fmt.Sprintf("%s.targets[%d] (upstream %s, used by %s)", u.path, i, host, label)})
			}
		}
	}
	return out
}

type hostKind int

const (
	hostExternal hostKind = iota
	hostIP
	hostPod
	hostService
)

// classify tells what a host names, and a Service's fully qualified name. Only forms that
// cannot be an outside name count as Services: a single label (resolved in namespace),
// name.namespace.svc and name.namespace.svc.cluster.local; name.namespace is left alone, as
// it reads the same as an outside domain.
func classify(host, namespace string) (hostKind, string) {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if net.ParseIP(h) != nil {
		return hostIP, ""
	}
	labels := strings.Split(h, ".")
	switch {
	case strings.HasSuffix(h, ".pod.cluster.local") || (len(labels) == 3 && labels[2] == "pod"):
		return hostPod, ""
	case len(labels) == 5 && strings.HasSuffix(h, ".svc.cluster.local"):
		return hostService, h
	case len(labels) == 3 && labels[2] == "svc":
		return hostService, h + ".cluster.local"
	case len(labels) == 1 && h != "localhost" && h != "":
		return hostService, h + "." + namespace + ".svc.cluster.local"
	}
	return hostExternal, ""
}

// credentialFields are fields that hold a secret in Kong's plugins and credentials.
var credentialFields = map[string]bool{
	"client_secret": true, "password": true, "secret": true, "session_secret": true,
	"api_key": true, "token": true, "private_key": true,
}

// lintCredentials warns of literal credentials in plugin configs and consumer credentials:
// a ConfigMap is readable by whoever can read the namespace's configuration.
func lintCredentials(e entities, p *problems) {
	for _, pl := range e.plugins {
		walkCredentials(pl.fields["config"], join(pl.path, "config"), p)
	}
	for _, c := range e.consumers {
		for _, kind := range []string{"basicauth_credentials", "keyauth_credentials", "jwt_secrets", "hmacauth_credentials", "oauth2_credentials"} {
			list, _ := c.fields[kind].([]any)
			for i, cred := range list {
				m, _ := cred.(map[string]any)
				for _, f := range []string{"password", "key", "secret", "client_secret"} {
					literal(m[f], fmt.Sprintf("%s.%s[%d].%s", c.path, kind, i, f), p)
				}
			}
		}
	}
}

func walkCredentials(v any, path string, p *problems) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			if credentialFields[k] {
				literal(t[k], join(path, k), p)
			} else {
				walkCredentials(t[k], join(path, k), p)
			}
		}
	case []any:
		for i, item := range t {
			walkCredentials(item, fmt.Sprintf("%s[%d]", path, i), p)
		}
	}
}

// literal warns of a credential given as a literal string rather than a vault reference.
func literal(v any, path string, p *problems) {
	if list, ok := v.([]any); ok { // openid-connect takes its secrets as lists
		for i, item := range list {
			literal(item, fmt.Sprintf("%s[%d]", path, i), p)
		}
		return
	}
	s, ok := v.(string)
	if !ok || s == "" || strings.HasPrefix(s, "{vault://") {
		return
	}
	p.add(path, "is a literal credential: reference it from a vault instead, e.g. {vault://env/my-secret} with the value in a Secret given through spec.envFrom")
}
