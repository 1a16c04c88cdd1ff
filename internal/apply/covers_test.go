// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package apply

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// goldenChildren reads the Deployments and Services render's golden files hold, each as the
// encoded desired object and as a typed live one.
func goldenChildren(t testing.TB) (desired [][]byte, live []client.Object) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "render", "testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for doc := range strings.SplitSeq(string(raw), "\n---") {
			body, err := yaml.YAMLToJSON([]byte(doc))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			var obj client.Object
			switch {
			case strings.Contains(doc, "\nkind: Deployment\n"):
				obj = &appsv1.Deployment{}
			case strings.Contains(doc, "\nkind: Service\n"):
				obj = &corev1.Service{}
			default:
				continue
			}
			if err := json.Unmarshal(body, obj); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			desired, live = append(desired, body), append(live, obj)
		}
	}
	return desired, live
}

// TestCoversJudgesTheGoldenChildren: every Deployment and Service of render's golden files is
// covered by itself as applied, also with the API server's defaults added or a quantity
// written another way, and not once one of Portico's values changed.
func TestCoversJudgesTheGoldenChildren(t *testing.T) {
	desired, live := goldenChildren(t)
	deployments := 0
	for i := range desired {
		name := live[i].GetObjectKind().GroupVersionKind().Kind + "/" + live[i].GetName()
		cases := map[string]struct {
			change func(client.Object) bool // false: not applicable to this object
			same   bool
		}{
			"as applied": {func(client.Object) bool { return true }, true},
			"with the API server's defaults": {func(o client.Object) bool {
				switch o := o.(type) {
				case *appsv1.Deployment:
					c := &o.Spec.Template.Spec.Containers[0]
					c.TerminationMessagePath, c.ImagePullPolicy = "/dev/termination-log", corev1.PullIfNotPresent
					o.Spec.Template.Spec.SchedulerName = "default-scheduler"
				case *corev1.Service:
					o.Spec.ClusterIP, o.Spec.SessionAffinity = "10.96.0.10", corev1.ServiceAffinityNone
				}
				return true
			}, true},
			"a replica count changed": {func(o client.Object) bool {
				d, ok := o.(*appsv1.Deployment)
				if ok && d.Spec.Replicas != nil {
					d.Spec.Replicas = ptr.To(*d.Spec.Replicas + 1)
				}
				return ok && d.Spec.Replicas != nil
			}, false},
			"a quantity written another way is the same": {func(o client.Object) bool {
				d, ok := o.(*appsv1.Deployment)
				if !ok {
					return false
				}
				cpu, set := d.Spec.Template.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]
				if set {
					// 500m read back from "0.500": the same quantity, differently written.
					d.Spec.Template.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse(cpu.AsDec().String())
				}
				return set
			}, true},
			"a port's target changed": {func(o client.Object) bool {
				s, ok := o.(*corev1.Service)
				if ok && len(s.Spec.Ports) > 0 {
					s.Spec.Ports[0].TargetPort = intstr.FromInt32(s.Spec.Ports[0].TargetPort.IntVal + 1)
				}
				return ok && len(s.Spec.Ports) > 0
			}, false},
			"an env entry removed": {func(o client.Object) bool {
				d, ok := o.(*appsv1.Deployment)
				if !ok || len(d.Spec.Template.Spec.Containers[0].Env) == 0 {
					return false
				}
				c := &d.Spec.Template.Spec.Containers[0]
				c.Env = c.Env[1:]
				return true
			}, false},
		}
		for what, c := range cases {
			obj := live[i].DeepCopyObject().(client.Object)
			if !c.change(obj) {
				continue
			}
			got, err := covers(obj, desired[i])
			if err != nil {
				t.Fatalf("%s, %s: %v", name, what, err)
			}
			if got != c.same {
				t.Errorf("%s, %s: covers = %v, want %v", name, what, got, c.same)
			}
		}
		if _, ok := live[i].(*appsv1.Deployment); ok {
			deployments++
		}
	}
	if deployments < 10 {
		t.Fatalf("only %d Deployments in the golden files", deployments)
	}
}

// BenchmarkCovers compares each golden Deployment and Service with the live object that holds
// it, the comparison a reconcile makes after each apply and after a restart.
func BenchmarkCovers(b *testing.B) {
	desired, live := goldenChildren(b)
	b.ReportAllocs()
	for b.Loop() {
		for i := range desired {
			if same, err := covers(live[i], desired[i]); err != nil || !same {
				b.Fatalf("covers = %v, %v", same, err)
			}
		}
	}
}
