// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// gwdObject is a GatewayDeployment as a user would write it in YAML.
func gwdObject(ns, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": gatewayv1alpha1.GroupVersion.String(),
		"kind":       "GatewayDeployment",
		"metadata":   map[string]any{"name": name, "namespace": ns},
	}}
	if spec != nil {
		u.Object["spec"] = spec
	}
	return u
}

func ports(p ...map[string]any) map[string]any {
	items := make([]any, 0, len(p))
	for _, x := range p {
		items = append(items, x)
	}
	return map[string]any{"ports": items}
}

func TestAdmissionRejectsBadInput(t *testing.T) {
	ns := newNamespace(t)
	cases := []struct {
		name    string
		objName string
		spec    map[string]any
		message string
	}{
		{"negative replicas", "", map[string]any{"replicas": -1}, "spec.replicas"},
		{"empty image", "", map[string]any{"image": ""}, "spec.image"},
		{"image with spaces", "", map[string]any{"image": "kong gateway"}, "image must not contain spaces"},
		{"duplicate port numbers", "", map[string]any{"service": ports(
			map[string]any{"name": "a", "port": 80, "targetPort": 8000},
			map[string]any{"name": "b", "port": 80, "targetPort": 8001})}, "each service port number must be unique"},
		{"duplicate port names", "", map[string]any{"service": ports(
			map[string]any{"name": "a", "port": 80, "targetPort": 8000},
			map[string]any{"name": "a", "port": 81, "targetPort": 8001})}, "Duplicate value"},
		{"duplicate target ports", "", map[string]any{"service": ports(
			map[string]any{"name": "a", "port": 80, "targetPort": 8000},
			map[string]any{"name": "b", "port": 81, "targetPort": 8000})}, "each targetPort must be unique"},
		{"zero port", "", map[string]any{"service": ports(
			map[string]any{"name": "a", "port": 0, "targetPort": 8000})}, "spec.service.ports[0].port"},
		{"port out of range", "", map[string]any{"service": ports(
			map[string]any{"name": "a", "port": 70000, "targetPort": 8000})}, "spec.service.ports[0].port"},
		{"privileged target port", "", map[string]any{"service": ports(
			map[string]any{"name": "a", "port": 80, "targetPort": 80})}, "spec.service.ports[0].targetPort"},
		{"status target port", "", map[string]any{"service": ports(
			map[string]any{"name": "a", "port": 80, "targetPort": 8100})}, "reserved for Kong's status listener"},
		{"port name not a DNS label", "", map[string]any{"service": ports(
			map[string]any{"name": "HTTP_1", "port": 80, "targetPort": 8000})}, "port name must be a DNS label"},
		{"no ports", "", map[string]any{"service": map[string]any{"ports": []any{}}}, "spec.service.ports"},
		{"Local traffic policy on ClusterIP", "", map[string]any{"service": map[string]any{
			"type": "ClusterIP", "externalTrafficPolicy": "Local"}}, "externalTrafficPolicy Local needs an external Service"},
		{"nodePort on ClusterIP", "", map[string]any{"service": map[string]any{"type": "ClusterIP", "ports": []any{
			map[string]any{"name": "http", "port": 80, "targetPort": 8000, "nodePort": 30080}}}}, "nodePort cannot be set on a ClusterIP Service"},
		{"loadBalancerClass on NodePort", "", map[string]any{"service": map[string]any{
			"type": "NodePort", "loadBalancerClass": "example.com/lb"}}, "loadBalancerClass applies only to type LoadBalancer"},
		{"unknown service type", "", map[string]any{"service": map[string]any{"type": "ExternalName"}}, "spec.service.type"},
		{"no surge and no unavailable", "", map[string]any{"rollout": map[string]any{
			"maxSurge": 0, "maxUnavailable": 0}}, "maxSurge and maxUnavailable cannot both be 0"},
		{"no surge and no unavailable as percentages", "", map[string]any{"rollout": map[string]any{
			"maxSurge": "0%", "maxUnavailable": 0}}, "maxSurge and maxUnavailable cannot both be 0"},
		{"maxSurge not a percentage", "", map[string]any{"rollout": map[string]any{"maxSurge": "lots"}}, "maxSurge must be a non-negative number or a percentage"},
		{"negative maxUnavailable", "", map[string]any{"rollout": map[string]any{"maxUnavailable": -1}}, "maxUnavailable must be a non-negative number"},
		{"progress deadline within minReadySeconds", "", map[string]any{"rollout": map[string]any{
			"minReadySeconds": 30, "progressDeadlineSeconds": 30}}, "progressDeadlineSeconds must be greater than minReadySeconds"},
		{"env sets an owned Kong setting", "", map[string]any{"env": []any{
			map[string]any{"name": "KONG_PROXY_LISTEN", "value": "0.0.0.0:9000"}}}, "Portico owns these settings"},
		{"env sets KONG_DATABASE", "", map[string]any{"env": []any{
			map[string]any{"name": "KONG_DATABASE", "value": "postgres"}}}, "Portico owns these settings"},
		{"env sets the declarative configuration", "", map[string]any{"env": []any{
			map[string]any{"name": "KONG_DECLARATIVE_CONFIG_STRING", "value": "{}"}}}, "the configuration from spec.config"},
		{"config and konnect", "", map[string]any{
			"config":  map[string]any{"configMapKeyRef": map[string]any{"name": "routes"}},
			"konnect": map[string]any{"controlPlaneID": "7f9fd312-a987-4628-b4c5-bb4f4fddd5f7", "authSecretRef": map[string]any{"name": "token"}},
		}, "set config or konnect, not both"},
		{"config names nothing", "", map[string]any{"config": map[string]any{}}, "set exactly one of configMapKeyRef and secretKeyRef"},
		{"config names both", "", map[string]any{"config": map[string]any{
			"configMapKeyRef": map[string]any{"name": "a"}, "secretKeyRef": map[string]any{"name": "b"}}}, "set exactly one of configMapKeyRef and secretKeyRef"},
		{"config name is not a DNS subdomain", "", map[string]any{"config": map[string]any{
			"configMapKeyRef": map[string]any{"name": "Routes_1"}}}, "name must be a DNS subdomain"},
		{"config key has a slash", "", map[string]any{"config": map[string]any{
			"configMapKeyRef": map[string]any{"name": "routes", "key": "a/kong.yml"}}}, "spec.config.configMapKeyRef.key"},
		{"pod labels override the selector", "", map[string]any{"pod": map[string]any{"labels": map[string]any{
			"gateway.portico.dev/gatewaydeployment": "other"}}}, "pod labels may not set"},
		{"name is not a DNS label", "gw.example", nil, "name must be a DNS label"},
		{"root UID", "", map[string]any{"pod": map[string]any{"runAsUser": 0}}, "spec.pod.runAsUser"},
		{"upstream host not a DNS name", "", map[string]any{"mesh": map[string]any{"mtls": map[string]any{
			"mode": "ISTIO_MUTUAL", "upstreamHosts": []any{"orders_svc:8080"}}}}, "each upstream host must be a DNS name"},
		{"duplicate upstream hosts", "", map[string]any{"mesh": map[string]any{"mtls": map[string]any{
			"mode": "ISTIO_MUTUAL", "upstreamHosts": []any{"a.shop.svc", "a.shop.svc"}}}}, "Duplicate value"},
		{"mTLS without a sidecar", "", map[string]any{"mesh": map[string]any{"sidecarInjection": "Disabled",
			"mtls": map[string]any{"mode": "ISTIO_MUTUAL"}}}, "mtls.mode ISTIO_MUTUAL needs the Istio sidecar"},
		{"revision with invalid characters", "", map[string]any{"mesh": map[string]any{"revision": "1-24_canary"}}, "revision must be a DNS label"},
		{"excluded range not a CIDR", "", map[string]any{"mesh": map[string]any{"excludeOutboundIPRanges": []any{"10.0.0.1"}}}, "must be CIDRs"},
		{"route to a port the Service lacks", "", map[string]any{"route": map[string]any{"port": "admin"}}, "route.port must name one of spec.service.ports"},
		{"route host not a DNS name", "", map[string]any{"route": map[string]any{"host": "https://api.example.com"}}, "host must be a DNS name"},
		{"plain HTTP allowed on passthrough", "", map[string]any{"route": map[string]any{"termination": "Passthrough",
			"insecureEdgeTerminationPolicy": "Allow"}}, "Passthrough allows only None or Redirect"},
		{"insecure policy without TLS", "", map[string]any{"route": map[string]any{"insecureEdgeTerminationPolicy": "Redirect"}}, "insecureEdgeTerminationPolicy needs a TLS termination"},
		{"unknown injection mode", "", map[string]any{"mesh": map[string]any{"sidecarInjection": "Always"}}, "spec.mesh.sidecarInjection"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			name := tc.objName
			if name == "" {
				name = "bad"
			}
			err := k8s.Create(context.Background(), gwdObject(ns, name, tc.spec))
			g.Expect(err).To(HaveOccurred(), "the API server accepted it")
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want an Invalid error, got %v", err)
			g.Expect(err.Error()).To(ContainSubstring(tc.message))
		})
	}
}

func TestAdmissionAcceptsAndDefaults(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	// An empty spec is complete once defaulted.
	g.Expect(k8s.Create(ctx, gwdObject(ns, "defaults", nil))).To(Succeed())
	gwd := &gatewayv1alpha1.GatewayDeployment{}
	g.Expect(k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "defaults"}, gwd)).To(Succeed())
	g.Expect(*gwd.Spec.Replicas).To(Equal(int32(1)))
	g.Expect(gwd.Spec.Service.Type).To(Equal(gatewayv1alpha1.ServiceTypeLoadBalancer))
	g.Expect(gwd.Spec.Service.Ports).To(Equal([]gatewayv1alpha1.ServicePort{
		{Name: "http", Port: 80, TargetPort: 8000, Protocol: gatewayv1alpha1.ListenerProtocolHTTP},
		{Name: "https", Port: 443, TargetPort: 8443, Protocol: gatewayv1alpha1.ListenerProtocolHTTPS},
	}))
	g.Expect(gwd.Spec.Rollout.MaxSurge.String()).To(Equal("1"))
	g.Expect(gwd.Spec.Rollout.MaxUnavailable.String()).To(Equal("0"))

	// Valid edge cases pass: zero replicas, percentages, a replaced default Kong setting.
	ok := map[string]map[string]any{
		"zero":    {"replicas": 0},
		"percent": {"rollout": map[string]any{"maxSurge": "25%", "maxUnavailable": "0%"}},
		"surge0":  {"rollout": map[string]any{"maxSurge": 0, "maxUnavailable": 1}},
		"admin":   {"env": []any{map[string]any{"name": "KONG_ADMIN_LISTEN", "value": "127.0.0.1:8444"}}},
		"local":   {"service": map[string]any{"type": "NodePort", "externalTrafficPolicy": "Local"}},
		"mesh": {"mesh": map[string]any{"sidecarInjection": "Enabled", "revision": "1-24-canary",
			"excludeOutboundPorts": []any{443}, "excludeOutboundIPRanges": []any{"10.0.0.0/8"},
			"mtls": map[string]any{"mode": "ISTIO_MUTUAL", "upstreamHosts": []any{"orders.shop.svc.cluster.local", "*.example.com"}}}},
	}
	for name, spec := range ok {
		err := k8s.Create(ctx, gwdObject(ns, name, spec))
		g.Expect(err).NotTo(HaveOccurred(), "%s: %v", name, err)
	}
	// The same rules hold on update, not only on create.
	patch := []byte(`{"spec":{"rollout":{"maxSurge":0,"maxUnavailable":0}}}`)
	err := k8s.Patch(ctx, gwd, client.RawPatch(types.MergePatchType, patch))
	g.Expect(err).To(HaveOccurred())
	g.Expect(strings.Contains(err.Error(), "cannot both be 0")).To(BeTrue(), err.Error())
}

// Every Konnect rule at its boundary: the value just inside is admitted, the one just outside
// refused with the rule's message.
func TestKonnectAdmissionAtEveryBoundary(t *testing.T) {
	ns := newNamespace(t)
	const uuid = "7f9fd312-a987-4628-b4c5-bb4f4fddd5f7"
	konnect := func(set func(k map[string]any)) map[string]any {
		k := map[string]any{"controlPlaneID": uuid, "authSecretRef": map[string]any{"name": "token"}}
		set(k)
		return map[string]any{"konnect": k}
	}
	labels := func(n int) map[string]any {
		m := map[string]any{}
		for i := range n {
			m[fmt.Sprintf("l%d", i)] = "v"
		}
		return m
	}
	cases := []struct {
		name    string
		inside  map[string]any
		outside map[string]any
		message string
	}{
		{"one of controlPlaneID and controlPlaneName",
			konnect(func(k map[string]any) { delete(k, "controlPlaneID"); k["controlPlaneName"] = "payments" }),
			konnect(func(k map[string]any) { k["controlPlaneName"] = "payments" }), "set exactly one of controlPlaneID and controlPlaneName"},
		{"neither controlPlaneID nor controlPlaneName", nil,
			konnect(func(k map[string]any) { delete(k, "controlPlaneID") }), "set exactly one of controlPlaneID and controlPlaneName"},
		{"controlPlaneID a UUID",
			konnect(func(k map[string]any) { k["controlPlaneID"] = strings.ToUpper(uuid) }),
			konnect(func(k map[string]any) { k["controlPlaneID"] = uuid[:35] + "g" }), "controlPlaneID must be a UUID"},
		{"controlPlaneName at most 100",
			konnect(func(k map[string]any) { delete(k, "controlPlaneID"); k["controlPlaneName"] = strings.Repeat("n", 100) }),
			konnect(func(k map[string]any) { delete(k, "controlPlaneID"); k["controlPlaneName"] = strings.Repeat("n", 101) }), "spec.konnect.controlPlaneName"},
		{"controlPlaneName not empty", nil,
			konnect(func(k map[string]any) { delete(k, "controlPlaneID"); k["controlPlaneName"] = "" }), "spec.konnect.controlPlaneName"},
		{"serverURL https with a port",
			konnect(func(k map[string]any) { k["serverURL"] = "https://eu.api.konghq.com:443" }),
			konnect(func(k map[string]any) { k["serverURL"] = "http://eu.api.konghq.com" }), "serverURL must be an https URL"},
		{"serverURL without a path", nil,
			konnect(func(k map[string]any) { k["serverURL"] = "https://eu.api.konghq.com/v2" }), "serverURL must be an https URL"},
		{"serverURL at most 253",
			konnect(func(k map[string]any) { k["serverURL"] = "https://" + strings.Repeat("a", 245) }),
			konnect(func(k map[string]any) { k["serverURL"] = "https://" + strings.Repeat("a", 246) }), "spec.konnect.serverURL"},
		{"authSecretRef name 1 to 253",
			konnect(func(k map[string]any) { k["authSecretRef"] = map[string]any{"name": strings.Repeat("s", 253)} }),
			konnect(func(k map[string]any) { k["authSecretRef"] = map[string]any{"name": strings.Repeat("s", 254)} }), "spec.konnect.authSecretRef.name"},
		{"authSecretRef name required", nil,
			konnect(func(k map[string]any) { k["authSecretRef"] = map[string]any{"name": ""} }), "spec.konnect.authSecretRef.name"},
		{"authSecretRef key 1 to 253",
			konnect(func(k map[string]any) {
				k["authSecretRef"] = map[string]any{"name": "t", "key": strings.Repeat("k", 253)}
			}),
			konnect(func(k map[string]any) {
				k["authSecretRef"] = map[string]any{"name": "t", "key": strings.Repeat("k", 254)}
			}), "spec.konnect.authSecretRef.key"},
		{"at most 5 dataPlaneLabels",
			konnect(func(k map[string]any) { k["dataPlaneLabels"] = labels(5) }),
			konnect(func(k map[string]any) { k["dataPlaneLabels"] = labels(6) }), "spec.konnect.dataPlaneLabels"},
		{"dataPlaneLabels key at most 63",
			konnect(func(k map[string]any) { k["dataPlaneLabels"] = map[string]any{strings.Repeat("k", 63): "v"} }),
			konnect(func(k map[string]any) { k["dataPlaneLabels"] = map[string]any{strings.Repeat("k", 64): "v"} }), "each dataPlaneLabels key must be at most 63"},
		{"dataPlaneLabels key shape",
			konnect(func(k map[string]any) { k["dataPlaneLabels"] = map[string]any{"a.b_c-9": "v"} }),
			konnect(func(k map[string]any) { k["dataPlaneLabels"] = map[string]any{"-a": "v"} }), "each dataPlaneLabels key must be at most 63"},
		{"dataPlaneLabels key not Kong's",
			konnect(func(k map[string]any) { k["dataPlaneLabels"] = map[string]any{"team-kong": "v"} }),
			konnect(func(k map[string]any) { k["dataPlaneLabels"] = map[string]any{"Konnect-team": "v"} }), "Kong reserves them"},
		{"dataPlaneLabels value 1 to 63",
			konnect(func(k map[string]any) { k["dataPlaneLabels"] = map[string]any{"team": strings.Repeat("v", 63)} }),
			konnect(func(k map[string]any) { k["dataPlaneLabels"] = map[string]any{"team": strings.Repeat("v", 64)} }), "spec.konnect.dataPlaneLabels.team"},
		{"dataPlaneLabels value not empty", nil,
			konnect(func(k map[string]any) { k["dataPlaneLabels"] = map[string]any{"team": ""} }), "spec.konnect.dataPlaneLabels.team"},
		{"pollInterval at least 10s",
			konnect(func(k map[string]any) { k["pollInterval"] = "10s" }),
			konnect(func(k map[string]any) { k["pollInterval"] = "9s" }), "pollInterval must be between 10s and 1h"},
		{"pollInterval at most 1h",
			konnect(func(k map[string]any) { k["pollInterval"] = "1h" }),
			konnect(func(k map[string]any) { k["pollInterval"] = "1h1s" }), "pollInterval must be between 10s and 1h"},
		{"certificate duration at least 1h",
			konnect(func(k map[string]any) { k["certificate"] = map[string]any{"duration": "1h", "renewBefore": "5m"} }),
			konnect(func(k map[string]any) { k["certificate"] = map[string]any{"duration": "59m", "renewBefore": "5m"} }), "duration must be at least 1h"},
		{"certificate renewBefore at least 5m",
			konnect(func(k map[string]any) { k["certificate"] = map[string]any{"renewBefore": "5m"} }),
			konnect(func(k map[string]any) { k["certificate"] = map[string]any{"renewBefore": "4m59s"} }), "renewBefore must be at least 5m"},
		{"certificate renewBefore shorter than duration",
			konnect(func(k map[string]any) { k["certificate"] = map[string]any{"duration": "721h"} }),
			konnect(func(k map[string]any) { k["certificate"] = map[string]any{"duration": "720h"} }), "renewBefore must be shorter than duration"},
		{"certificate renewBefore shorter than the default duration",
			konnect(func(k map[string]any) { k["certificate"] = map[string]any{"renewBefore": "2159h"} }),
			konnect(func(k map[string]any) { k["certificate"] = map[string]any{"renewBefore": "2160h"} }), "renewBefore must be shorter than duration"},
		{"certificate secretName alone",
			konnect(func(k map[string]any) { k["certificate"] = map[string]any{"secretName": strings.Repeat("c", 253)} }),
			konnect(func(k map[string]any) { k["certificate"] = map[string]any{"secretName": "mine", "duration": "24h"} }), "secretName names a certificate you manage"},
		{"certificate secretName at most 253", nil,
			konnect(func(k map[string]any) { k["certificate"] = map[string]any{"secretName": strings.Repeat("c", 254)} }), "spec.konnect.certificate.secretName"},
		{"env without KONG_CLUSTER_* under konnect",
			konnect(func(k map[string]any) {}),
			func() map[string]any {
				spec := konnect(func(k map[string]any) {})
				spec["env"] = []any{map[string]any{"name": "KONG_CLUSTER_CONTROL_PLANE", "value": "evil.example:443"}}
				return spec
			}(), "Portico derives them from spec.konnect"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			if tc.inside != nil {
				g.Expect(k8s.Create(context.Background(), gwdObject(ns, fmt.Sprintf("inside-%d", i), tc.inside))).To(Succeed())
			}
			err := k8s.Create(context.Background(), gwdObject(ns, fmt.Sprintf("outside-%d", i), tc.outside))
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want an Invalid error, got %v", err)
			g.Expect(err.Error()).To(ContainSubstring(tc.message))
		})
	}
}
