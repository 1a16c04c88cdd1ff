// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/operator-framework/operator-lib/proxy"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/kongconfig"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const defaultImage = "kong/kong-gateway:3.11"

// defaulted is a GatewayDeployment whose spec holds what the API server's defaults put there.
func defaulted(name string, mutate func(*gatewayv1alpha1.GatewayDeploymentSpec)) *gatewayv1alpha1.GatewayDeployment {
	gwd := &gatewayv1alpha1.GatewayDeployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "edge", UID: "6f1c1d3e-0000-4000-8000-000000000001", Generation: 1},
		Spec: gatewayv1alpha1.GatewayDeploymentSpec{
			Replicas: ptr.To[int32](1),
			Service: gatewayv1alpha1.ServiceSpec{
				Type: gatewayv1alpha1.ServiceTypeLoadBalancer,
				Ports: []gatewayv1alpha1.ServicePort{
					{Name: "http", Port: 80, TargetPort: 8000, Protocol: gatewayv1alpha1.ListenerProtocolHTTP},
					{Name: "https", Port: 443, TargetPort: 8443, Protocol: gatewayv1alpha1.ListenerProtocolHTTPS},
				},
			},
			Rollout: gatewayv1alpha1.RolloutSpec{MaxSurge: ptr.To(intstr.FromInt32(1)), MaxUnavailable: ptr.To(intstr.FromInt32(0))},
		},
	}
	if mutate != nil {
		mutate(&gwd.Spec)
	}
	return gwd
}

func goldenCases() map[string]*gatewayv1alpha1.GatewayDeployment {
	return map[string]*gatewayv1alpha1.GatewayDeployment{
		"minimal": defaulted("minimal", nil),
		"scaled-to-zero-clusterip": defaulted("internal", func(s *gatewayv1alpha1.GatewayDeploymentSpec) {
			s.Replicas = ptr.To[int32](0)
			s.Service.Type = gatewayv1alpha1.ServiceTypeClusterIP
			s.Service.Ports = s.Service.Ports[:1]
		}),
		"meshed": defaulted("meshed", func(s *gatewayv1alpha1.GatewayDeploymentSpec) {
			s.Mesh = &gatewayv1alpha1.MeshSpec{
				SidecarInjection:        gatewayv1alpha1.SidecarInjectionEnabled,
				Revision:                "canary",
				ExcludeOutboundPorts:    []int32{443},
				ExcludeOutboundIPRanges: []string{"203.0.113.0/24"},
				MTLS: &gatewayv1alpha1.MeshMTLS{
					Mode:          gatewayv1alpha1.MTLSModeIstioMutual,
					UpstreamHosts: []string{"orders.shop.svc.cluster.local", "payments.shop.svc.cluster.local"},
				},
			}
		}),
		"route-passthrough": defaulted("routed", func(s *gatewayv1alpha1.GatewayDeploymentSpec) {
			s.Service.Type = gatewayv1alpha1.ServiceTypeClusterIP
			s.Route = &gatewayv1alpha1.RouteSpec{Host: "api.example.com", Termination: gatewayv1alpha1.RouteTerminationPassthrough,
				InsecureEdgeTerminationPolicy: "Redirect"}
		}),
		"mesh-mtls-disabled": defaulted("plain", func(s *gatewayv1alpha1.GatewayDeploymentSpec) {
			s.Mesh = &gatewayv1alpha1.MeshSpec{
				SidecarInjection: gatewayv1alpha1.SidecarInjectionDisabled,
				MTLS:             &gatewayv1alpha1.MeshMTLS{Mode: gatewayv1alpha1.MTLSModeDisable, UpstreamHosts: []string{"legacy.example.com"}},
			}
		}),
		"configured": defaulted("bookinfo", func(s *gatewayv1alpha1.GatewayDeploymentSpec) {
			s.Config = &gatewayv1alpha1.ConfigSource{ConfigMapKeyRef: &gatewayv1alpha1.ConfigKeyRef{Name: "bookinfo-routes", Key: "kong.yml"}}
			s.Mesh = &gatewayv1alpha1.MeshSpec{
				SidecarInjection: gatewayv1alpha1.SidecarInjectionEnabled,
				MTLS:             &gatewayv1alpha1.MeshMTLS{Mode: gatewayv1alpha1.MTLSModeIstioMutual},
			}
		}),
		"configured-from-secret": defaulted("private", func(s *gatewayv1alpha1.GatewayDeploymentSpec) {
			s.Config = &gatewayv1alpha1.ConfigSource{SecretKeyRef: &gatewayv1alpha1.ConfigKeyRef{Name: "private-routes", Key: "kong.json"}}
		}),
		// Autoscaled: no replicas in the Deployment; the budget follows minReplicas.
		"autoscaled": defaulted("elastic", func(s *gatewayv1alpha1.GatewayDeploymentSpec) {
			s.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("256Mi")}}
			s.Autoscaling = &gatewayv1alpha1.AutoscalingSpec{MinReplicas: ptr.To[int32](2), MaxReplicas: 10,
				TargetCPUUtilizationPercentage: ptr.To[int32](70), TargetMemoryUtilizationPercentage: ptr.To[int32](80),
				Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{
					StabilizationWindowSeconds: ptr.To[int32](600)}}}
		}),
		// One pod and an explicit budget: the user's choice stands, even one that blocks drains.
		"explicit-budget": defaulted("guarded", func(s *gatewayv1alpha1.GatewayDeploymentSpec) {
			s.Disruption = &gatewayv1alpha1.DisruptionSpec{MinAvailable: ptr.To(intstr.FromString("50%"))}
		}),
		// Following a revision tag with rollOnUpgrade, the injector registered: the template
		// names the revision the tag stands for now.
		"mesh-roll-on-upgrade": defaulted("following", func(s *gatewayv1alpha1.GatewayDeploymentSpec) {
			s.Mesh = &gatewayv1alpha1.MeshSpec{SidecarInjection: gatewayv1alpha1.SidecarInjectionEnabled, Revision: "prod-stable", RollOnUpgrade: true}
		}),
		// Two listener certificates (RSA and ECDSA), from Portico's checked copy.
		"listener-certificates": defaulted("secure", func(s *gatewayv1alpha1.GatewayDeploymentSpec) {
			s.TLS = &gatewayv1alpha1.TLSSpec{CertificateSecretRefs: []gatewayv1alpha1.TLSSecretRef{{Name: "api-rsa"}, {Name: "api-ecdsa"}}}
		}),
		// A Konnect gateway before and after its registration: no Deployment until then.
		"konnect-awaiting-registration": defaulted("hybrid", konnectSpec),
		"konnect-registered":            defaulted("hybrid", konnectSpec),
		"everything": defaulted("everything", func(s *gatewayv1alpha1.GatewayDeploymentSpec) {
			s.Image = "registry.example/kong-gateway:3.11.0.5"
			s.ImagePullPolicy = corev1.PullIfNotPresent
			s.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "registry"}}
			s.Replicas = ptr.To[int32](3)
			s.Resources = &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
			}
			s.Env = []gatewayv1alpha1.EnvVar{
				{Name: "KONG_LOG_LEVEL", Value: "notice"},
				{Name: "KONG_ADMIN_LISTEN", Value: "127.0.0.1:8444"},
			}
			s.EnvFrom = []gatewayv1alpha1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "kong-settings"}}}}
			s.Pod = gatewayv1alpha1.PodOverrides{
				Labels:       gatewayv1alpha1.LabelMap{"team": "edge"},
				Annotations:  map[string]string{"prometheus.io/scrape": "true"},
				NodeSelector: gatewayv1alpha1.LabelMap{"node-role.example/edge": ""},
				Tolerations:  []gatewayv1alpha1.Toleration{{Key: "edge", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
				Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
					PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
						Weight: 100,
						PodAffinityTerm: corev1.PodAffinityTerm{
							TopologyKey:   "kubernetes.io/hostname",
							LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{gatewayv1alpha1.LabelGatewayDeployment: "everything"}},
						},
					}},
				}},
				TopologySpreadConstraints: []gatewayv1alpha1.TopologySpreadConstraint{{
					MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.ScheduleAnyway,
					LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{gatewayv1alpha1.LabelGatewayDeployment: "everything"}},
				}},
				PriorityClassName:             "edge-critical",
				RunAsUser:                     ptr.To[int64](1000),
				ServiceAccountName:            "kong",
				TerminationGracePeriodSeconds: ptr.To[int64](60),
			}
			s.Service = gatewayv1alpha1.ServiceSpec{
				Type:                  gatewayv1alpha1.ServiceTypeNodePort,
				ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
				Annotations:           map[string]string{"lb.example/internal": "true"},
				Ports: []gatewayv1alpha1.ServicePort{
					{Name: "proxy", Port: 8080, TargetPort: 8000, Protocol: gatewayv1alpha1.ListenerProtocolHTTP, NodePort: ptr.To[int32](30080)},
					{Name: "proxy-tls", Port: 8443, TargetPort: 8443, Protocol: gatewayv1alpha1.ListenerProtocolHTTPS},
				},
			}
			s.Rollout = gatewayv1alpha1.RolloutSpec{
				MaxSurge: ptr.To(intstr.FromString("25%")), MaxUnavailable: ptr.To(intstr.FromString("10%")), MinReadySeconds: 10,
				ProgressDeadlineSeconds: ptr.To[int32](300),
			}
		}),
	}
}

func konnectSpec(s *gatewayv1alpha1.GatewayDeploymentSpec) {
	s.Konnect = &gatewayv1alpha1.KonnectSpec{
		ControlPlaneID: "7f9fd312-a987-4628-b4c5-bb4f4fddd5f7", ServerURL: "https://eu.api.konghq.com",
		AuthSecretRef:   gatewayv1alpha1.SecretKeyRef{Name: "konnect-token", Key: "token"},
		DataPlaneLabels: map[string]gatewayv1alpha1.DataPlaneLabelValue{"env": "prod", "team": "edge"},
	}
}

// goldenInputs are what the reconcile resolved for some cases, beyond the gateway itself.
var goldenInputs = map[string]func(*Inputs){
	"mesh-roll-on-upgrade":  func(in *Inputs) { in.InjectorPresent, in.SidecarRevision = true, "1-28-1" },
	"listener-certificates": func(in *Inputs) { in.TLS = &TLS{SecretName: TLSCopyName("secure", "5e1f0a9c2b"), Count: 2} },
	"konnect-registered": func(in *Inputs) {
		in.Konnect = &Konnect{ControlPlaneHost: "7f9fd312a9.eu.cp0.konghq.com", TelemetryHost: "7f9fd312a9.eu.tp0.konghq.com",
			SecretName: "hybrid-konnect", CertificateID: "00000001-0000-4000-8000-000000000001",
			Labels: map[string]gatewayv1alpha1.DataPlaneLabelValue{"env": "prod", "team": "edge"}}
	},
}

// TestGolden pins the rendered objects. Run 'go test ./internal/render -update' after an
// intended change and review the diff of testdata/.
func TestGolden(t *testing.T) {
	for name, gwd := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			in := Inputs{GatewayDeployment: gwd, DefaultImage: defaultImage}
			// What the reconcile passes for a checked spec.config: its copy, and the Services
			// its upstreams name.
			if c := gwd.Spec.Config; c != nil {
				in.Config = &Config{Secret: c.SecretKeyRef != nil, Name: ConfigCopyName(gwd.Name, "0f1e2d3c4b")}
				in.ConfigUpstreamHosts = []string{"details.bookinfo.svc.cluster.local", "productpage.bookinfo.svc.cluster.local"}
			}
			if resolve := goldenInputs[name]; resolve != nil {
				resolve(&in)
			}
			objs, err := Render(in)
			g.Expect(err).NotTo(HaveOccurred())
			var out []byte
			var all []any
			if objs.Deployment != nil {
				all = append(all, objs.Deployment)
			}
			all = append(all, objs.Service)
			for _, dr := range objs.DestinationRules {
				all = append(all, dr)
			}
			if objs.PeerAuthentication != nil {
				all = append(all, objs.PeerAuthentication)
			}
			if objs.Route != nil {
				all = append(all, objs.Route.Object)
			}
			if objs.PodDisruptionBudget != nil {
				all = append(all, objs.PodDisruptionBudget)
			}
			if objs.HorizontalPodAutoscaler != nil {
				all = append(all, objs.HorizontalPodAutoscaler)
			}
			for _, obj := range all {
				y, err := yaml.Marshal(obj)
				g.Expect(err).NotTo(HaveOccurred())
				out = append(append(out, "---\n"...), y...)
			}
			path := filepath.Join("testdata", name+".yaml")
			if *update {
				g.Expect(os.WriteFile(path, out, 0o644)).To(Succeed())
			}
			want, err := os.ReadFile(path)
			g.Expect(err).NotTo(HaveOccurred(), "missing golden file: run go test ./internal/render -update")
			g.Expect(string(out)).To(Equal(string(want)), "rendered objects changed; if intended, run go test ./internal/render -update")
		})
	}
}

func TestUserEnvReplacesDefaultsAndKeepsOrder(t *testing.T) {
	g := NewWithT(t)
	gwd := defaulted("env", func(s *gatewayv1alpha1.GatewayDeploymentSpec) {
		s.Env = []gatewayv1alpha1.EnvVar{{Name: "B", Value: "2"}, {Name: "KONG_ADMIN_LISTEN", Value: "127.0.0.1:8444"}, {Name: "A", Value: "1"}}
	})
	env := gatewayEnv(&gwd.Spec, nil, nil, nil, nil)
	names := make([]string, 0, len(env))
	for _, e := range env {
		names = append(names, e.Name)
		if e.Name == "KONG_ADMIN_LISTEN" {
			g.Expect(e.Value).To(Equal("127.0.0.1:8444"))
		}
	}
	g.Expect(names).To(HaveLen(len(ownedEnv(&gwd.Spec)) + len(configEnv(&gwd.Spec, nil)) + len(defaultEnv) + 2))
	g.Expect(names[len(names)-2:]).To(Equal([]string{"B", "A"}), "user variables keep their order")
}

func TestListenersFollowServicePorts(t *testing.T) {
	g := NewWithT(t)
	ports := defaulted("x", nil).Spec.Service.Ports
	g.Expect(proxyListen(ports)).To(Equal("0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384"))
	g.Expect(portMaps(ports)).To(Equal("80:8000, 443:8443"))
}

// toTyped decodes an apply configuration into its typed object.
func toTyped[T any](t testing.TB, in any) *T {
	t.Helper()
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out := new(T)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestClusterProxyReachesTheGateway(t *testing.T) {
	g := NewWithT(t)
	t.Setenv("HTTP_PROXY", "http://proxy.example:3128")
	t.Setenv("HTTPS_PROXY", "http://proxy.example:3128")
	t.Setenv("NO_PROXY", ".cluster.local,10.0.0.0/8")
	gwd := defaulted("proxied", func(s *gatewayv1alpha1.GatewayDeploymentSpec) {
		s.Env = []gatewayv1alpha1.EnvVar{{Name: "NO_PROXY", Value: ".svc"}}
	})
	objs, err := Render(Inputs{GatewayDeployment: gwd, DefaultImage: defaultImage, ProxyEnv: proxy.ReadProxyVarsFromEnv()})
	g.Expect(err).NotTo(HaveOccurred())
	env := toTyped[appsv1.Deployment](t, objs.Deployment).Spec.Template.Spec.Containers[0].Env
	g.Expect(env).To(ContainElement(corev1.EnvVar{Name: "HTTP_PROXY", Value: "http://proxy.example:3128"}))
	g.Expect(env).To(ContainElement(corev1.EnvVar{Name: "HTTPS_PROXY", Value: "http://proxy.example:3128"}))
	g.Expect(env).To(ContainElement(corev1.EnvVar{Name: "NO_PROXY", Value: ".svc"}), "the spec's own value wins")
	g.Expect(env).To(ContainElement(corev1.EnvVar{Name: "https_proxy", Value: "http://proxy.example:3128"}))
	for _, e := range env {
		g.Expect(e.Value).NotTo(Equal(".cluster.local,10.0.0.0/8"), "%s: the spec's NO_PROXY replaces both spellings", e.Name)
	}

	// No proxy configured: nothing added.
	for _, name := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"} {
		g.Expect(os.Unsetenv(name)).To(Succeed()) // t.Setenv above restores them afterwards
	}
	objs, err = Render(Inputs{GatewayDeployment: defaulted("direct", nil), DefaultImage: defaultImage, ProxyEnv: proxy.ReadProxyVarsFromEnv()})
	g.Expect(err).NotTo(HaveOccurred())
	for _, e := range toTyped[appsv1.Deployment](t, objs.Deployment).Spec.Template.Spec.Containers[0].Env {
		g.Expect(e.Name).NotTo(HaveSuffix("_PROXY"))
	}
}

// Kong reports ready only with a configuration it loads: the default must be one.
func TestDefaultConfigIsValid(t *testing.T) {
	r := kongconfig.Check([]byte(DefaultConfig))
	if !r.Valid() || len(r.Warnings) > 0 {
		t.Fatalf("the default configuration does not pass the checks: %s %s", r.Summary(3), r.WarningSummary(3))
	}
}

// The CRD refuses in spec.env exactly the Kong settings the renderer owns: a setting owned
// but not refused would be silently overridden, one refused but not owned would be lost.
func TestOwnedEnvIsWhatTheCRDRefuses(t *testing.T) {
	g := NewWithT(t)
	raw, err := os.ReadFile("../../config/crd/bases/gateway.portico.dev_gatewaydeployments.yaml")
	g.Expect(err).NotTo(HaveOccurred())
	crd := &apiextensionsv1.CustomResourceDefinition{}
	g.Expect(yaml.Unmarshal(raw, crd)).To(Succeed())
	refused := map[string][]string{} // "always" or "konnect" -> names
	listed := regexp.MustCompile(`e\.name in \[([^\]]*)\]`)
	for _, rule := range crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].XValidations {
		m := listed.FindStringSubmatch(rule.Rule)
		if m == nil {
			continue
		}
		which := "always"
		if strings.Contains(rule.Rule, "has(self.konnect)") {
			which = "konnect"
		}
		if strings.Contains(rule.Rule, "has(self.tls)") {
			which = "tls"
		}
		for name := range strings.SplitSeq(m[1], ",") {
			refused[which] = append(refused[which], strings.Trim(strings.TrimSpace(name), "'"))
		}
	}
	names := func(env []corev1.EnvVar) []string {
		out := make([]string, 0, len(env))
		for _, e := range env {
			out = append(out, e.Name)
		}
		return out
	}
	spec := &defaulted("owned", nil).Spec
	owned := append(names(ownedEnv(spec)), names(configEnv(spec, &Config{Name: "x"}))...)
	owned = append(owned, names(configEnv(spec, nil))...)
	g.Expect(refused["always"]).To(ConsistOf(owned))
	konnect := names(konnectEnv(&Konnect{ControlPlaneHost: "cp", TelemetryHost: "tp", Labels: map[string]gatewayv1alpha1.DataPlaneLabelValue{"a": "b"}}))
	g.Expect(refused["konnect"]).To(ConsistOf(konnect))
	g.Expect(refused["tls"]).To(ConsistOf(names(tlsEnv(&TLS{SecretName: "x", Count: 2}))))
}
