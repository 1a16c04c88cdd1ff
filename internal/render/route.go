// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/convert"
)

// ComponentRoute is the app.kubernetes.io/component of the gateway's Route.
const ComponentRoute = "route"

// Route builds the OpenShift Route to the gateway's Service, or nil when none is asked for.
// It is unstructured: the typed Route would carry an empty status and creation time, which
// must never be applied.
func Route(in Inputs) (*unstructured.Unstructured, error) {
	gwd := in.GatewayDeployment
	r := gwd.Spec.Route
	if r == nil {
		return nil, nil
	}
	spec := map[string]any{
		"to":             map[string]any{"kind": "Service", "name": gwd.Name, "weight": int64(100)},
		"port":           map[string]any{"targetPort": RoutePort(gwd)},
		"wildcardPolicy": "None",
	}
	if r.Host != "" {
		spec["host"] = r.Host
	}
	if r.Termination != "" {
		tls := map[string]any{"termination": routeTermination[r.Termination]}
		if r.InsecureEdgeTerminationPolicy != "" {
			tls["insecureEdgeTerminationPolicy"] = r.InsecureEdgeTerminationPolicy
		}
		spec["tls"] = tls
	}
	owner, err := convert.To[map[string]any](ownerReference(gwd))
	if err != nil {
		return nil, err
	}
	labels := map[string]any{}
	for k, v := range Labels(gwd, ComponentRoute) {
		labels[k] = v
	}
	route := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "route.openshift.io/v1",
		"kind":       "Route",
		"metadata": map[string]any{
			"name": gwd.Name, "namespace": gwd.Namespace, "labels": labels,
			"ownerReferences": []any{*owner},
		},
		"spec": spec,
	}}
	hash, err := hashOf(route.Object)
	if err != nil {
		return nil, err
	}
	route.SetAnnotations(map[string]string{AnnotationSpecHash: hash})
	return route, nil
}

var routeTermination = map[gatewayv1alpha1.RouteTermination]string{
	gatewayv1alpha1.RouteTerminationEdge:        "edge",
	gatewayv1alpha1.RouteTerminationPassthrough: "passthrough",
	gatewayv1alpha1.RouteTerminationReencrypt:   "reencrypt",
}

// RoutePort is the Service port the Route sends to: the named one, or the first whose
// protocol suits the termination (TLS through to Kong for Passthrough and Reencrypt).
func RoutePort(gwd *gatewayv1alpha1.GatewayDeployment) string {
	r := gwd.Spec.Route
	if r.Port != "" {
		return r.Port
	}
	want := gatewayv1alpha1.ListenerProtocolHTTP
	if r.Termination == gatewayv1alpha1.RouteTerminationPassthrough || r.Termination == gatewayv1alpha1.RouteTerminationReencrypt {
		want = gatewayv1alpha1.ListenerProtocolHTTPS
	}
	for _, p := range gwd.Spec.Service.Ports {
		if p.Protocol == want {
			return p.Name
		}
	}
	return gwd.Spec.Service.Ports[0].Name
}
