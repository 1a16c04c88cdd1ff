// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"k8s.io/utils/ptr"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// FuzzRender feeds varied valid specs to the builders and checks what must always hold.
func FuzzRender(f *testing.F) {
	f.Add(uint64(1), uint16(1), "", "team", "edge", "KONG_LOG_LEVEL")
	f.Add(uint64(42), uint16(0), "kong:3.9", "", "", "")
	f.Add(uint64(7), uint16(1000), "registry.example/k:1", "app", "x", "KONG_ADMIN_LISTEN")
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		f.Fatal(err)
	}
	restricted := api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}

	f.Fuzz(func(t *testing.T, seed uint64, replicas uint16, image, labelKey, labelValue, envName string) {
		gwd := fuzzedGateway(rand.New(rand.NewPCG(seed, seed>>1)), replicas, image, labelKey, labelValue, envName)
		in := Inputs{GatewayDeployment: gwd, DefaultImage: defaultImage, AssignsUID: seed%2 == 0}
		objs, err := Render(in)
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		again, _ := Render(in)
		if a, b := mustJSON(t, objs), mustJSON(t, again); a != b {
			t.Fatalf("render is not deterministic:\n%s\n%s", a, b)
		}

		d := toTyped[appsv1.Deployment](t, objs.Deployment)
		svc := toTyped[corev1.Service](t, objs.Service)
		pod := d.Spec.Template

		for _, r := range evaluator.EvaluatePod(restricted, &pod.ObjectMeta, &pod.Spec) {
			if !r.Allowed {
				t.Errorf("pod security restricted: %s: %s", r.ForbiddenReason, r.ForbiddenDetail)
			}
		}
		// OpenShift restricted-v2 assigns user, group and fsGroup from the namespace's range.
		if sc := pod.Spec.SecurityContext; sc.RunAsUser != nil || sc.RunAsGroup != nil || sc.FSGroup != nil || len(sc.SupplementalGroups) > 0 {
			t.Errorf("pod fixes a UID or GID: %+v", sc)
		}
		// Where the cluster assigns no UID, the container runs as Kong's unless asked otherwise.
		wantUID := gwd.Spec.Pod.RunAsUser
		if wantUID == nil && !in.AssignsUID {
			wantUID = ptr.To(KongUID)
		}
		for _, c := range pod.Spec.Containers {
			if !equality.Semantic.DeepEqual(c.SecurityContext.RunAsUser, wantUID) || c.SecurityContext.RunAsGroup != nil {
				t.Errorf("container %s runs as UID %v, want %v", c.Name, ptr.Deref(c.SecurityContext.RunAsUser, -1), ptr.Deref(wantUID, -1))
			}
		}

		for k, v := range d.Spec.Selector.MatchLabels {
			if pod.Labels[k] != v {
				t.Errorf("selector %s=%s does not match the pod labels %v", k, v, pod.Labels)
			}
		}
		if fmt.Sprint(svc.Spec.Selector) != fmt.Sprint(d.Spec.Selector.MatchLabels) {
			t.Errorf("Service selector %v differs from the Deployment's %v", svc.Spec.Selector, d.Spec.Selector.MatchLabels)
		}
		if *d.Spec.Replicas != *gwd.Spec.Replicas {
			t.Errorf("replicas %d, want %d", *d.Spec.Replicas, *gwd.Spec.Replicas)
		}

		kong := pod.Spec.Containers[0]
		containerPorts := map[int32]bool{}
		portNames := map[string]bool{}
		for _, p := range kong.Ports {
			if portNames[p.Name] {
				t.Errorf("duplicate container port name %s", p.Name)
			}
			portNames[p.Name] = true
			containerPorts[p.ContainerPort] = true
		}
		for _, p := range svc.Spec.Ports {
			if !containerPorts[p.TargetPort.IntVal] {
				t.Errorf("Service port %s targets %d, which Kong does not listen on", p.Name, p.TargetPort.IntVal)
			}
		}
		env := map[string]string{}
		for _, e := range kong.Env {
			if _, dup := env[e.Name]; dup {
				t.Errorf("duplicate env %s", e.Name)
			}
			env[e.Name] = e.Value
		}
		if env["KONG_DATABASE"] != "off" || env["KONG_STATUS_LISTEN"] != "0.0.0.0:8100" {
			t.Errorf("operator-owned settings were overridden: %v", env)
		}

		// Mesh: no sidecar label against the user's wish, one rule per host, unique names.
		if m := gwd.Spec.Mesh; m != nil && m.SidecarInjection == gatewayv1alpha1.SidecarInjectionDisabled && pod.Labels["sidecar.istio.io/inject"] != "false" {
			t.Errorf("injection Disabled but the pod label is %q", pod.Labels["sidecar.istio.io/inject"])
		}
		names := map[string]bool{}
		for _, dr := range objs.DestinationRules {
			if names[*dr.Name] {
				t.Errorf("duplicate DestinationRule name %s", *dr.Name)
			}
			names[*dr.Name] = true
		}
		if m := gwd.Spec.Mesh; m != nil && m.MTLS.Mode != gatewayv1alpha1.MTLSModeInherit && len(objs.DestinationRules) != len(m.MTLS.UpstreamHosts)+1 {
			t.Errorf("%d DestinationRules for %d upstream hosts", len(objs.DestinationRules), len(m.MTLS.UpstreamHosts))
		}
	})
}

// fuzzedGateway builds a spec that the CRD's validation would accept.
func fuzzedGateway(r *rand.Rand, replicas uint16, image, labelKey, labelValue, envName string) *gatewayv1alpha1.GatewayDeployment {
	gwd := defaulted("fuzz", nil)
	s := &gwd.Spec
	s.Replicas = ptr.To(int32(replicas % 1001))
	if image != "" {
		s.Image = image
	}
	s.Service.Type = []gatewayv1alpha1.ServiceType{
		gatewayv1alpha1.ServiceTypeClusterIP, gatewayv1alpha1.ServiceTypeNodePort, gatewayv1alpha1.ServiceTypeLoadBalancer,
	}[r.IntN(3)]
	if s.Service.Type != gatewayv1alpha1.ServiceTypeClusterIP && r.IntN(2) == 0 {
		s.Service.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	}
	s.Service.Ports = nil
	usedPort, usedTarget := map[int32]bool{}, map[int32]bool{StatusPort: true}
	for i := range 1 + r.IntN(16) {
		port, target := int32(1+r.IntN(65535)), int32(1024+r.IntN(65535-1024+1))
		if usedPort[port] || usedTarget[target] {
			continue
		}
		usedPort[port], usedTarget[target] = true, true
		p := gatewayv1alpha1.ServicePort{Name: fmt.Sprintf("p%d", i), Port: port, TargetPort: target, Protocol: gatewayv1alpha1.ListenerProtocolHTTP}
		if r.IntN(2) == 0 {
			p.Protocol = gatewayv1alpha1.ListenerProtocolHTTPS
		}
		s.Service.Ports = append(s.Service.Ports, p)
	}
	if len(s.Service.Ports) == 0 {
		s.Service.Ports = defaulted("fuzz", nil).Spec.Service.Ports
	}

	reserved := map[string]bool{}
	for k := range Labels(gwd, gatewayv1alpha1.ComponentGateway) {
		reserved[k] = true
	}
	if labelKey != "" && !reserved[labelKey] {
		s.Pod.Labels = gatewayv1alpha1.LabelMap{labelKey: gatewayv1alpha1.LabelValue(labelValue)}
	}
	owned := map[string]bool{}
	for _, e := range ownedEnv(s) {
		owned[e.Name] = true
	}
	if envName != "" && !owned[envName] {
		s.Env = []gatewayv1alpha1.EnvVar{{Name: envName, Value: labelValue}}
	}

	surge, unavailable := intOrPercent(r), intOrPercent(r)
	if surge.String() == "0" || surge.String() == "0%" {
		unavailable = intstr.FromInt32(1)
	}
	s.Rollout = gatewayv1alpha1.RolloutSpec{MaxSurge: &surge, MaxUnavailable: &unavailable, MinReadySeconds: int32(r.IntN(3))}
	if r.IntN(2) == 0 {
		s.Resources = &corev1.ResourceRequirements{}
	}
	if r.IntN(4) == 0 {
		s.Pod.RunAsUser = ptr.To(int64(1 + r.IntN(65535)))
	}
	if r.IntN(2) == 0 {
		injection := []gatewayv1alpha1.SidecarInjection{gatewayv1alpha1.SidecarInjectionEnabled,
			gatewayv1alpha1.SidecarInjectionDisabled, gatewayv1alpha1.SidecarInjectionInherit}[r.IntN(3)]
		modes := []gatewayv1alpha1.MTLSMode{gatewayv1alpha1.MTLSModeDisable, gatewayv1alpha1.MTLSModeInherit}
		if injection != gatewayv1alpha1.SidecarInjectionDisabled {
			modes = append(modes, gatewayv1alpha1.MTLSModeIstioMutual)
		}
		var hosts []string
		for i := range r.IntN(5) {
			hosts = append(hosts, fmt.Sprintf("svc-%d.ns.svc.cluster.local", i))
		}
		s.Mesh = &gatewayv1alpha1.MeshSpec{SidecarInjection: injection, Revision: "canary",
			MTLS: &gatewayv1alpha1.MeshMTLS{Mode: modes[r.IntN(len(modes))], UpstreamHosts: hosts}}
	}
	return gwd
}

func intOrPercent(r *rand.Rand) intstr.IntOrString {
	if r.IntN(2) == 0 {
		return intstr.FromInt32(int32(r.IntN(5)))
	}
	return intstr.FromString(fmt.Sprintf("%d%%", r.IntN(101)))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
