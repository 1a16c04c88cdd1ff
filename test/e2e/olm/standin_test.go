// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package olm

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/portico-dev/portico/test/e2e/harness"
)

// operatorPodLabels select Portico's operator pods as OLM deploys them (the CSV's Deployment).
// The local cluster's kwok stage keeps such a pod Running and unready (hack/kwok/stages.yaml).
var operatorPodLabels = client.MatchingLabels{"control-plane": "controller-manager", "app.kubernetes.io/name": "portico"}

// standIns runs, for each operator pod OLM's Deployment creates, the operator binary as a host
// process in its place, as a kubelet would run the container: with the container's args and
// env (the downward API resolved from the pod), authenticated as the pod's ServiceAccount with a
// TokenRequest token, so that it has exactly the RBAC OLM made. The pod turns Ready only when
// the process's /readyz answers 200, as the kubelet's readiness probe would decide; a deleted
// pod's process is stopped with SIGTERM.
type standIns struct {
	env *harness.Env

	mu    sync.Mutex
	procs map[types.UID]*standIn
}

type standIn struct {
	*harness.Operator
	pod   types.NamespacedName
	probe string // the /readyz URL
}

func newStandIns(env *harness.Env) *standIns {
	return &standIns{env: env, procs: map[types.UID]*standIn{}}
}

// run keeps the stand-ins in step with the pods until ctx ends, then stops them all.
func (s *standIns) run(ctx context.Context) {
	defer s.stopAll()
	for {
		if err := s.sync(ctx); err != nil && ctx.Err() == nil {
			fmt.Printf("stand-ins: %v\n", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (s *standIns) sync(ctx context.Context) error {
	pods := &corev1.PodList{}
	if err := s.env.K8s.List(ctx, pods, operatorPodLabels); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	alive := map[types.UID]bool{}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if pod.DeletionTimestamp != nil || pod.Status.Phase != corev1.PodRunning {
			continue
		}
		alive[pod.UID] = true
		proc, ok := s.procs[pod.UID]
		if !ok {
			started, err := s.start(pod)
			if err != nil {
				return err
			}
			s.procs[pod.UID], proc = started, started
		}
		if err := s.reportReadiness(ctx, pod, proc); err != nil {
			return err
		}
	}
	for uid, proc := range s.procs {
		if !alive[uid] {
			proc.Stop()
			delete(s.procs, uid)
		}
	}
	return nil
}

// annotationPath matches a downward-API field path into one annotation.
var annotationPath = regexp.MustCompile(`^metadata\.annotations\['(.+)'\]$`)

// start runs the process for pod's manager container.
func (s *standIns) start(pod *corev1.Pod) (*standIn, error) {
	container := pod.Spec.Containers[0]
	kubeconfig, err := s.env.ServiceAccountKubeconfig(pod.Namespace, pod.Spec.ServiceAccountName, "standin-"+pod.Name)
	if err != nil {
		return nil, err
	}
	environment := []string{"KUBECONFIG=" + kubeconfig}
	for _, e := range container.Env {
		value := e.Value
		if from := e.ValueFrom; from != nil && from.ResourceFieldRef != nil && from.ResourceFieldRef.Resource == "limits.memory" {
			value = strconv.FormatInt(container.Resources.Limits.Memory().Value(), 10)
		} else if from != nil {
			if from.FieldRef == nil {
				return nil, fmt.Errorf("pod %s: env %s comes from something other than the downward API", pod.Name, e.Name)
			}
			switch path := from.FieldRef.FieldPath; {
			case path == "metadata.namespace":
				value = pod.Namespace
			case path == "metadata.name":
				value = pod.Name
			case annotationPath.MatchString(path):
				value = pod.Annotations[annotationPath.FindStringSubmatch(path)[1]]
			default:
				return nil, fmt.Errorf("pod %s: env %s: field %s is not resolved by the stand-in", pod.Name, e.Name, path)
			}
		}
		environment = append(environment, e.Name+"="+value)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// The container's own args, then the host's ports: many stand-ins share one network.
	args := append(append([]string{}, container.Args...),
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", port), "--metrics-bind-address=127.0.0.1:0")
	return &standIn{
		Operator: s.env.StartProcess("standin-"+pod.Name, environment, args...),
		pod:      types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name},
		probe:    fmt.Sprintf("http://127.0.0.1:%d/readyz", port),
	}, nil
}

// reportReadiness writes the probe's verdict into the pod's status, as the kubelet does.
func (s *standIns) reportReadiness(ctx context.Context, pod *corev1.Pod, proc *standIn) error {
	ready := probe(proc.probe)
	want := corev1.ConditionFalse
	if ready {
		want = corev1.ConditionTrue
	}
	changed := false
	for i := range pod.Status.Conditions {
		c := &pod.Status.Conditions[i]
		if (c.Type == corev1.PodReady || c.Type == corev1.ContainersReady) && c.Status != want {
			c.Status, c.LastTransitionTime, changed = want, metav1.Now(), true
		}
	}
	for i := range pod.Status.ContainerStatuses {
		pod.Status.ContainerStatuses[i].Ready = ready
	}
	if !changed {
		return nil
	}
	return client.IgnoreNotFound(s.env.K8s.Status().Update(ctx, pod))
}

// Running lists the stand-ins that run now.
func (s *standIns) Running() []*standIn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*standIn
	for _, p := range s.procs {
		out = append(out, p)
	}
	return out
}

// retire tells the stand-ins in namespace that their rights are about to go: OLM removes an
// uninstalled CSV's RBAC while its pods are still terminating.
func (s *standIns) retire(namespace string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.procs {
		if p.pod.Namespace == namespace {
			p.Retiring()
		}
	}
}

func (s *standIns) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for uid, proc := range s.procs {
		proc.Stop()
		delete(s.procs, uid)
	}
}

func probe(url string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
