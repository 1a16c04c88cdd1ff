// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package istiorev

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestRequestedAndResolved(t *testing.T) {
	injectors := []Injector{
		{Revision: "1-27-0"},
		{Revision: "1-28-1"},
		{Revision: "1-27-0", Tag: "default"},
		{Revision: "1-28-1", Tag: "prod-stable"},
	}
	for name, c := range map[string]struct {
		pod       string
		namespace map[string]string
		want      string
	}{
		"the pod's tag":                {"prod-stable", map[string]string{LabelRev: "1-27-0"}, "1-28-1"},
		"the pod's revision":           {"1-27-0", nil, "1-27-0"},
		"the namespace's tag":          {"", map[string]string{LabelRev: "prod-stable"}, "1-28-1"},
		"istio-injection: the default": {"", map[string]string{LabelInjection: "enabled"}, "1-27-0"},
		"unlabelled: the default":      {"", nil, "1-27-0"},
		"an unknown tag stays a name":  {"canary", nil, "canary"},
	} {
		if got := Resolve(Requested(c.pod, c.namespace), injectors); got != c.want {
			t.Errorf("%s: %s, want %s", name, got, c.want)
		}
	}
	if got := Resolve(Default, []Injector{{Revision: Default}}); got != Default {
		t.Errorf("a single unnamed revision: %s", got)
	}
}

func TestRunning(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
		AnnotationStatus: `{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"],"imagePullSecrets":null,"revision":"1-28-1"}`}}}
	if got := Running(pod); got != "1-28-1" {
		t.Errorf("Running: %q", got)
	}
	pod.Annotations[AnnotationStatus] = StatusOf("1-28-1")
	if got := Running(pod); got != "1-28-1" {
		t.Errorf("Running of the trimmed status: %q", got)
	}
	if got := Running(&corev1.Pod{}); got != "" {
		t.Errorf("no sidecar: %q", got)
	}
}
