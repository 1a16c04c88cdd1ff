// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// The methods' defaults are the CRD's: what the API server fills in, and what its CEL rules
// assume.
func TestDefaultsMatchTheCRD(t *testing.T) {
	raw, err := os.ReadFile("../../config/crd/bases/gateway.portico.dev_gatewaydeployments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(raw, crd); err != nil {
		t.Fatal(err)
	}
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	at := func(path ...string) apiextensionsv1.JSONSchemaProps {
		s := spec
		for _, p := range path {
			s = s.Properties[p]
		}
		return s
	}
	defaultOf := func(path ...string) string {
		d := at(path...).Default
		if d == nil {
			t.Fatalf("spec.%s has no default in the CRD", strings.Join(path, "."))
		}
		return strings.Trim(string(d.Raw), `"`)
	}
	var empty GatewayDeploymentSpec
	surge, unavailable := empty.Rollout.MaxSurgeOrDefault(), empty.Rollout.MaxUnavailableOrDefault()
	konnect := KonnectSpec{}
	for _, c := range []struct{ path, crd, method string }{
		{"replicas", defaultOf("replicas"), strconv.Itoa(int(empty.DesiredReplicas()))},
		{"rollout.maxSurge", defaultOf("rollout", "maxSurge"), surge.String()},
		{"rollout.maxUnavailable", defaultOf("rollout", "maxUnavailable"), unavailable.String()},
		{"konnect.pollInterval", defaultOf("konnect", "pollInterval"), durationString(konnect.PollIntervalOrDefault())},
		{"config.configMapKeyRef.key", defaultOf("config", "configMapKeyRef", "key"), DefaultConfigKey},
		{"config.secretKeyRef.key", defaultOf("config", "secretKeyRef", "key"), DefaultConfigKey},
		{"autoscaling.minReplicas", defaultOf("autoscaling", "minReplicas"), strconv.Itoa(int((&AutoscalingSpec{}).MinReplicasOrDefault()))},
	} {
		if c.crd != c.method {
			t.Errorf("spec.%s: the CRD defaults to %s, the API's method to %s", c.path, c.crd, c.method)
		}
	}
	var rules []string
	for _, r := range at("konnect", "certificate").XValidations {
		rules = append(rules, r.Rule)
	}
	cert := KonnectCertificate{}
	for _, d := range []time.Duration{cert.DurationOrDefault(), cert.RenewBeforeOrDefault()} {
		if want := "duration('" + durationString(d) + "')"; !strings.Contains(strings.Join(rules, "\n"), want) {
			t.Errorf("the certificate's CEL rules do not assume %s: %q", want, rules)
		}
	}
}

// durationString writes d as the CRD does: 60s, 2160h.
func durationString(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
