// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/render"
)

// boundaryCase sets one field (or one list or map) of a spec to values at the edge of what
// the CRD admits.
type boundaryCase struct {
	field string
	set   func(*gatewayv1alpha1.GatewayDeployment)
	// probe marks a shape the CRD may refuse; the others it must admit.
	probe bool
}

// fill is n copies of s, cut to n characters.
func fill(s string, n int) string { return strings.Repeat(s, n)[:n] }

// labelValue is a label value of n characters (at most 63) with every kind of character a
// label value may hold.
func labelValue(i, n int) string {
	return fmt.Sprintf("v%d", i) + fill("a-b_c.D9", n-len(fmt.Sprintf("v%d", i))-1) + "z"
}

// qualifiedKey is a label or annotation key: a DNS-subdomain prefix and a name of 63.
func qualifiedKey(i int) string {
	return fill("sub.example.", 200) + "z" + "/" + fmt.Sprintf("k%d", i) + fill("a-b_c.D9", 61-len(fmt.Sprintf("k%d", i))) + "z"
}

// boundaryCases are generated per field: the longest strings, the most entries, the largest
// numbers, and shapes the CRD admits at its edges.
func boundaryCases() []boundaryCase {
	var cases []boundaryCase
	add := func(field string, set func(*gatewayv1alpha1.GatewayDeployment)) {
		cases = append(cases, boundaryCase{field: field, set: set})
	}
	probe := func(field string, set func(*gatewayv1alpha1.GatewayDeployment)) {
		cases = append(cases, boundaryCase{field: field, set: set, probe: true})
	}
	add("metadata.name (63)", func(g *gatewayv1alpha1.GatewayDeployment) { g.Name = "g" + fill("a-9", 61) + "z" })
	add("image (512)", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Image = "registry.example/" + fill("kong/", 512-len("registry.example/")-4) + ":3.9"
	})
	add("imagePullSecrets (16 × 253)", func(g *gatewayv1alpha1.GatewayDeployment) {
		for i := range 16 {
			g.Spec.ImagePullSecrets = append(g.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: fmt.Sprintf("s%d", i) + fill("a.b-c", 250) + "z"})
		}
	})
	add("replicas (max)", func(g *gatewayv1alpha1.GatewayDeployment) { g.Spec.Replicas = ptr.To[int32](1000) })
	add("resources", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Resources = &corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64"), corev1.ResourceMemory: resource.MustParse("256Gi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64"), corev1.ResourceMemory: resource.MustParse("256Gi")},
		}
	})
	add("env (128, long values)", func(g *gatewayv1alpha1.GatewayDeployment) {
		for i := range 128 {
			g.Spec.Env = append(g.Spec.Env, gatewayv1alpha1.EnvVar{Name: fmt.Sprintf("KONG_X_%d", i), Value: fill("v=1;", 1024)})
		}
	})
	add("env (names)", func(g *gatewayv1alpha1.GatewayDeployment) {
		for i, name := range []string{"lower.case-name", "_UNDER", "X" + fill("Y", 254)} {
			g.Spec.Env = append(g.Spec.Env, gatewayv1alpha1.EnvVar{Name: name, Value: fmt.Sprint(i)})
		}
	})
	add("envFrom (16)", func(g *gatewayv1alpha1.GatewayDeployment) {
		for i := range 16 {
			g.Spec.EnvFrom = append(g.Spec.EnvFrom, gatewayv1alpha1.EnvFromSource{Prefix: fmt.Sprintf("P%d_", i),
				ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: fmt.Sprintf("cm-%d", i)}}})
		}
	})
	add("pod.labels (64, longest keys and values)", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Pod.Labels = gatewayv1alpha1.LabelMap{}
		for i := range 64 {
			g.Spec.Pod.Labels[qualifiedKey(i)] = gatewayv1alpha1.LabelValue(labelValue(i, 63))
		}
	})
	add("pod.labels (empty value)", func(g *gatewayv1alpha1.GatewayDeployment) { g.Spec.Pod.Labels = gatewayv1alpha1.LabelMap{"tier": ""} })
	add("pod.annotations (the most)", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Pod.Annotations = gatewayv1alpha1.AnnotationMap{}
		for i := range 64 {
			key := qualifiedKey(i)
			g.Spec.Pod.Annotations[key] = fill("x", annotationBytesMax/64-len(key))
		}
	})
	add("pod.nodeSelector (the most)", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Pod.NodeSelector = gatewayv1alpha1.LabelMap{}
		for i := range 32 {
			g.Spec.Pod.NodeSelector[qualifiedKey(i)] = gatewayv1alpha1.LabelValue(labelValue(i, 63))
		}
	})
	add("pod.tolerations (the most)", func(g *gatewayv1alpha1.GatewayDeployment) {
		for i := range 32 {
			g.Spec.Pod.Tolerations = append(g.Spec.Pod.Tolerations, gatewayv1alpha1.Toleration{Key: qualifiedKey(i), Operator: corev1.TolerationOpEqual,
				Value: gatewayv1alpha1.LabelValue(labelValue(i, 63)), Effect: corev1.TaintEffectNoSchedule})
		}
	})
	add("pod.topologySpreadConstraints (the most)", func(g *gatewayv1alpha1.GatewayDeployment) {
		for i := range 8 {
			g.Spec.Pod.TopologySpreadConstraints = append(g.Spec.Pod.TopologySpreadConstraints, gatewayv1alpha1.TopologySpreadConstraint{
				MaxSkew: 1, TopologyKey: qualifiedKey(i), WhenUnsatisfiable: corev1.ScheduleAnyway,
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}})
		}
	})
	add("pod.priorityClassName (253)", func(g *gatewayv1alpha1.GatewayDeployment) { g.Spec.Pod.PriorityClassName = fill("a.b-c", 252) + "z" })
	add("pod.serviceAccountName (253)", func(g *gatewayv1alpha1.GatewayDeployment) { g.Spec.Pod.ServiceAccountName = fill("a.b-c", 252) + "z" })
	add("pod.runAsUser, terminationGracePeriodSeconds (max)", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Pod.RunAsUser, g.Spec.Pod.TerminationGracePeriodSeconds = ptr.To[int64](2147483647), ptr.To[int64](3600)
	})
	add("service.ports (16, longest names)", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Service.Type = gatewayv1alpha1.ServiceTypeNodePort
		for i := range 16 {
			g.Spec.Service.Ports = append(g.Spec.Service.Ports, gatewayv1alpha1.ServicePort{
				Name: fmt.Sprintf("p%02d", i) + fill("-a9", 11) + "z", Port: int32(65535 - i), TargetPort: int32(65535 - i), NodePort: ptr.To(int32(30000 + i))})
		}
	})
	add("service.ports (names next to the reserved one)", func(g *gatewayv1alpha1.GatewayDeployment) {
		for i, name := range []string{"statuses", "http-status", "9a"} {
			g.Spec.Service.Ports = append(g.Spec.Service.Ports, gatewayv1alpha1.ServicePort{Name: name, Port: int32(8000 + i), TargetPort: int32(8000 + i)})
		}
	})
	add("service.annotations (64, 16 KiB) and loadBalancerClass (253)", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Service.Type = gatewayv1alpha1.ServiceTypeLoadBalancer
		g.Spec.Service.LoadBalancerClass = ptr.To(fill("lb.example.", 200) + "z/" + fill("c", 51))
		g.Spec.Service.Annotations = gatewayv1alpha1.AnnotationMap{}
		for i := range 64 {
			key := fmt.Sprintf("lb.example/k%02d", i)
			g.Spec.Service.Annotations[key] = fill("y", serviceAnnotationBytesMax/64-len(key))
		}
	})
	add("rollout (edges)", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Rollout = gatewayv1alpha1.RolloutSpec{MaxSurge: ptr.To(intstr.FromString("100%")), MaxUnavailable: ptr.To(intstr.FromInt32(0)),
			MinReadySeconds: 3599, ProgressDeadlineSeconds: ptr.To[int32](3600)}
	})
	add("route (longest host, edge termination)", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Route = &gatewayv1alpha1.RouteSpec{Host: fill("a1-b.", 252) + "z", Termination: gatewayv1alpha1.RouteTerminationEdge,
			InsecureEdgeTerminationPolicy: "Redirect"}
	})
	add("mesh (the most of everything)", func(g *gatewayv1alpha1.GatewayDeployment) {
		m := &gatewayv1alpha1.MeshSpec{SidecarInjection: gatewayv1alpha1.SidecarInjectionEnabled, Revision: "r" + fill("-1a", 61) + "z",
			MTLS: &gatewayv1alpha1.MeshMTLS{Mode: gatewayv1alpha1.MTLSModeIstioMutual}}
		for i := range 32 {
			m.ExcludeOutboundPorts = append(m.ExcludeOutboundPorts, int32(65535-i))
			m.ExcludeOutboundIPRanges = append(m.ExcludeOutboundIPRanges, fmt.Sprintf("fd00:%x::/32", i))
		}
		for i := range 16 {
			m.MTLS.UpstreamHosts = append(m.MTLS.UpstreamHosts, fmt.Sprintf("*.h%02d", i)+fill(".a-b1", 247)+"z")
		}
		g.Spec.Mesh = m
	})
	add("konnect (the most of everything)", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Konnect = &gatewayv1alpha1.KonnectSpec{ControlPlaneName: fill("n", 100), AuthSecretRef: gatewayv1alpha1.SecretKeyRef{Name: fill("t", 253), Key: fill("k", 253)},
			DataPlaneLabels: map[string]gatewayv1alpha1.DataPlaneLabelValue{}}
		for i := range 5 {
			g.Spec.Konnect.DataPlaneLabels[fmt.Sprintf("l%d", i)+fill("a.b_c-9", 60)+"z"] = gatewayv1alpha1.DataPlaneLabelValue(labelValue(i, 63))
		}
	})
	// Shapes past the edges: refused at admission, or else valid in the children.
	for _, key := range []string{"bad key", "-x", "x/", "/x", fill("p.", 254) + "/x", "x/" + fill("n", 64), "x/y/z"} {
		probe("pod.labels key "+key[:min(len(key), 12)], func(g *gatewayv1alpha1.GatewayDeployment) { g.Spec.Pod.Labels = gatewayv1alpha1.LabelMap{key: "v"} })
		probe("pod.annotations key "+key[:min(len(key), 12)], func(g *gatewayv1alpha1.GatewayDeployment) {
			g.Spec.Pod.Annotations = gatewayv1alpha1.AnnotationMap{key: "v"}
		})
		probe("pod.nodeSelector key "+key[:min(len(key), 12)], func(g *gatewayv1alpha1.GatewayDeployment) {
			g.Spec.Pod.NodeSelector = gatewayv1alpha1.LabelMap{key: "v"}
		})
		probe("service.annotations key "+key[:min(len(key), 12)], func(g *gatewayv1alpha1.GatewayDeployment) {
			g.Spec.Service.Annotations = gatewayv1alpha1.AnnotationMap{key: "v"}
		})
		probe("toleration key "+key[:min(len(key), 12)], func(g *gatewayv1alpha1.GatewayDeployment) {
			g.Spec.Pod.Tolerations = []gatewayv1alpha1.Toleration{{Key: key, Operator: corev1.TolerationOpExists}}
		})
		probe("topologyKey "+key[:min(len(key), 12)], func(g *gatewayv1alpha1.GatewayDeployment) {
			g.Spec.Pod.TopologySpreadConstraints = []gatewayv1alpha1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: key, WhenUnsatisfiable: corev1.DoNotSchedule}}
		})
	}
	for _, name := range []string{"has=equals", "", "1digit", "sp ace", "tab\t", "ü", fill("N", 257)} {
		probe("env name "+name[:min(len(name), 12)], func(g *gatewayv1alpha1.GatewayDeployment) {
			g.Spec.Env = []gatewayv1alpha1.EnvVar{{Name: name, Value: "v"}}
		})
	}
	probe("envFrom prefix with =", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.EnvFrom = []gatewayv1alpha1.EnvFromSource{{Prefix: "A=", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}}}}
	})
	probe("envFrom with neither source", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.EnvFrom = []gatewayv1alpha1.EnvFromSource{{Prefix: "A_"}}
	})
	probe("topologyKey empty", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Pod.TopologySpreadConstraints = []gatewayv1alpha1.TopologySpreadConstraint{{MaxSkew: 1, WhenUnsatisfiable: corev1.DoNotSchedule}}
	})
	for name, t := range map[string]gatewayv1alpha1.Toleration{
		"Exists with a value":                 {Key: "k", Operator: corev1.TolerationOpExists, Value: "v"},
		"no key, Equal":                       {Operator: corev1.TolerationOpEqual, Value: "v"},
		"no key, no operator":                 {},
		"tolerationSeconds without NoExecute": {Key: "k", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule, TolerationSeconds: ptr.To[int64](30)},
		"tolerationSeconds with NoExecute":    {Key: "k", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](30)},
		"no key, Exists":                      {Operator: corev1.TolerationOpExists},
	} {
		probe("toleration "+name, func(g *gatewayv1alpha1.GatewayDeployment) { g.Spec.Pod.Tolerations = []gatewayv1alpha1.Toleration{t} })
	}
	for _, value := range []string{fill("v", 64), "-v", "v-", "a b", "ü"} {
		probe("pod.labels value "+value[:min(len(value), 12)], func(g *gatewayv1alpha1.GatewayDeployment) {
			g.Spec.Pod.Labels = gatewayv1alpha1.LabelMap{"k": gatewayv1alpha1.LabelValue(value)}
		})
		probe("pod.nodeSelector value "+value[:min(len(value), 12)], func(g *gatewayv1alpha1.GatewayDeployment) {
			g.Spec.Pod.NodeSelector = gatewayv1alpha1.LabelMap{"k": gatewayv1alpha1.LabelValue(value)}
		})
	}
	probe("pod.annotations (too many bytes)", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Pod.Annotations = gatewayv1alpha1.AnnotationMap{}
		for i := range 64 {
			g.Spec.Pod.Annotations[fmt.Sprintf("a%d", i)] = fill("x", 8192)
		}
	})
	probe("service.annotations (too many bytes)", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Service.Annotations = gatewayv1alpha1.AnnotationMap{}
		for i := range 64 {
			g.Spec.Service.Annotations[fmt.Sprintf("a%d", i)] = fill("x", 4096)
		}
	})
	for _, name := range []string{"Bad_Name", "-x", "x..y", ""} {
		probe("pod.priorityClassName "+name, func(g *gatewayv1alpha1.GatewayDeployment) { g.Spec.Pod.PriorityClassName = name })
		probe("pod.serviceAccountName "+name, func(g *gatewayv1alpha1.GatewayDeployment) { g.Spec.Pod.ServiceAccountName = name })
		probe("imagePullSecrets "+name, func(g *gatewayv1alpha1.GatewayDeployment) {
			g.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: name}}
		})
	}
	probe("service.ports name status", func(g *gatewayv1alpha1.GatewayDeployment) {
		g.Spec.Service.Ports = []gatewayv1alpha1.ServicePort{{Name: "status", Port: 80, TargetPort: 8000}}
	})
	for _, class := range []string{"no-slash", "Bad/x", "x/", fill("c", 64)} {
		probe("service.loadBalancerClass "+class[:min(len(class), 12)], func(g *gatewayv1alpha1.GatewayDeployment) {
			g.Spec.Service.Type, g.Spec.Service.LoadBalancerClass = gatewayv1alpha1.ServiceTypeLoadBalancer, ptr.To(class)
		})
	}
	return cases
}

// Every spec the CRD admits renders to children the API server accepts: a spec that passes
// admission and then fails at every apply would be a gateway stuck for good. Each boundary
// case is created (dry run, so the API server's defaults and rules apply), rendered, and each
// child applied (dry run).
func TestEveryAdmittedSpecRendersToValidChildren(t *testing.T) {
	ctx := context.Background()
	installCRDs(t, istioCRDs(t), routeCRD(t))
	ns := newNamespace(t)
	for _, tc := range boundaryCases() {
		t.Run(tc.field, func(t *testing.T) {
			g := NewWithT(t)
			gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "edge"}}
			tc.set(gwd)
			if err := k8s.Create(ctx, gwd, client.DryRunAll); tc.probe && apierrors.IsInvalid(err) {
				return // refused at admission, with the CRD's message
			} else {
				g.Expect(err).NotTo(HaveOccurred(), "the CRD admits the case")
			}
			gwd.UID = types.UID("00000000-0000-4000-8000-000000000001")
			in := render.Inputs{GatewayDeployment: gwd, DefaultImage: testImage, InjectorPresent: true}
			if gwd.Spec.Konnect != nil {
				in.Konnect = &render.Konnect{ControlPlaneHost: "0123456789.us.cp0.konghq.com", TelemetryHost: "0123456789.us.tp0.konghq.com",
					SecretName: gwd.Name + "-konnect", CertificateID: "00000001-0000-4000-8000-000000000001", Labels: gwd.Spec.Konnect.DataPlaneLabels}
			}
			desired, err := render.Render(in)
			g.Expect(err).NotTo(HaveOccurred())
			children := []any{desired.Deployment, desired.Service}
			for _, dr := range desired.DestinationRules {
				children = append(children, dr)
			}
			if desired.PeerAuthentication != nil {
				children = append(children, desired.PeerAuthentication)
			}
			if desired.Route != nil {
				children = append(children, desired.Route)
			}
			for _, child := range children {
				g.Expect(dryRunApply(ctx, child)).To(Succeed())
			}
		})
	}
}

// dryRunApply applies an apply configuration (or an unstructured object) as a dry run.
func dryRunApply(ctx context.Context, desired any) error {
	body, err := json.Marshal(desired)
	if err != nil {
		return err
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(body); err != nil {
		return err
	}
	gvk := schema.FromAPIVersionAndKind(obj.GetAPIVersion(), obj.GetKind())
	target := &unstructured.Unstructured{}
	target.SetGroupVersionKind(gvk)
	target.SetNamespace(obj.GetNamespace())
	target.SetName(obj.GetName())
	if err := k8s.Patch(ctx, target, client.RawPatch(types.ApplyPatchType, body), client.DryRunAll, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("%s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	return nil
}

// annotationBytesMax and serviceAnnotationBytesMax are how many bytes of keys and values the
// CRD admits in the pod's and the Service's annotations.
const (
	annotationBytesMax        = 128 << 10
	serviceAnnotationBytesMax = 16 << 10
)
