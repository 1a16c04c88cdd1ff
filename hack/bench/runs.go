// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/status"
)

// nodes is how many fake nodes the bench's clusters have, each with room for 1,000 pods:
// enough for the largest N (one pod per gateway) and its rollouts.
var nodes = 5

// cluster runs hack/cluster.sh for the bench's own cluster: nodes with room for 1,000 pods
// each and a service range wide enough for every N.
func cluster(action string) string {
	cmd := exec.Command("hack/cluster.sh", action)
	cmd.Env = append(os.Environ(),
		"CLUSTER_NAME="+clusterName,
		fmt.Sprintf("CLUSTER_NODES=%d", nodes),
		"CLUSTER_NODE_ARGS=--param .allocatable.pods=1000 --param .podCIDR=\"10.64.0.0/22\"",
		"CLUSTER_EXTRA_ARGS=--extra-args kube-apiserver=service-cluster-ip-range=10.96.0.0/16 --kube-audit-policy hack/bench/audit-policy.yaml",
	)
	out, err := cmd.CombinedOutput()
	if err != nil && action != "down" {
		fail(fmt.Errorf("cluster %s: %v\n%s", action, err, out))
	}
	return strings.TrimSpace(string(out))
}

func freshCluster() (client.WithWatch, string) {
	cluster("down")
	cluster("up")
	kubeconfig := cluster("kubeconfig")
	c, err := client.NewWithWatch(clusterConfig(kubeconfig), client.Options{Scheme: controllers.NewScheme()})
	must(err, "creating a client")
	must(c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}), "creating the namespace")
	return c, kubeconfig
}

// clusterConfig is the bench's client configuration for the cluster kubeconfig names.
func clusterConfig(kubeconfig string) *rest.Config {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	must(err, "reading the kubeconfig")
	// client-go caches TLS transports by certificate file path, and every fresh cluster
	// reuses the paths with new certificates: use the contents instead.
	must(rest.LoadTLSFiles(cfg), "reading the cluster's certificates")
	cfg.CAFile, cfg.CertFile, cfg.KeyFile = "", "", ""
	cfg.QPS, cfg.Burst = -1, 0 // no client-side throttling
	// Uncompressed, as the cluster's own controllers and Portico ask: gzip would cost the
	// API server CPU for every event the bench watches.
	cfg.DisableCompression = true
	return cfg
}

// profileCPU fetches a CPU profile of the first profileSeconds from base's /debug/pprof in
// the background, into the temporary directory as portico-bench-<name>.pb.gz; the returned
// func waits for it. Nothing happens without -profile.
func profileCPU(httpClient *http.Client, base, name string) (wait func()) {
	if !profile {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := httpClient.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, profileSeconds))
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: CPU profile %s: %v\n", name, err)
			return
		}
		defer resp.Body.Close()
		path := filepath.Join(os.TempDir(), "portico-bench-"+name+".pb.gz")
		if f, err := os.Create(path); err == nil {
			_, _ = io.Copy(f, resp.Body)
			_ = f.Close()
			fmt.Fprintf(os.Stderr, "bench: CPU profile: %s\n", path)
		}
	}()
	return func() { <-done }
}

// profileAPIServer profiles the bench cluster's API server (see profileCPU).
func profileAPIServer(kubeconfig, name string) (wait func()) {
	if !profile {
		return func() {}
	}
	cfg := clusterConfig(kubeconfig)
	httpClient, err := rest.HTTPClientFor(cfg)
	must(err, "creating an HTTP client for the API server")
	return profileCPU(httpClient, strings.TrimSuffix(cfg.Host, "/"), name)
}

// gateway is the GatewayDeployment both runs use, as the API server would default it; with
// -hostile, at every maximum of its spec.
func gateway(i int) *gatewayv1alpha1.GatewayDeployment {
	if maximal {
		return maximalGateway(i)
	}
	return ordinaryGateway(i)
}

func ordinaryGateway(i int) *gatewayv1alpha1.GatewayDeployment {
	return &gatewayv1alpha1.GatewayDeployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: gatewayv1alpha1.GroupVersion.String(), Kind: "GatewayDeployment"},
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("gw-%04d", i), Namespace: namespace},
		Spec: gatewayv1alpha1.GatewayDeploymentSpec{
			Replicas: ptr.To[int32](1),
			Service: gatewayv1alpha1.ServiceSpec{Type: gatewayv1alpha1.ServiceTypeClusterIP, Ports: []gatewayv1alpha1.ServicePort{
				{Name: "http", Port: 80, TargetPort: 8000, Protocol: gatewayv1alpha1.ListenerProtocolHTTP},
				{Name: "https", Port: 443, TargetPort: 8443, Protocol: gatewayv1alpha1.ListenerProtocolHTTPS},
			}},
		},
	}
}

// createAll runs create(i) for i in [0, n), parallel at a time, and returns when each began.
func createAll(n int, create func(i int) error) []time.Time {
	started := make([]time.Time, n)
	work := make(chan int)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for i := range work {
				started[i] = time.Now()
				must(create(i), "creating")
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	return started
}

func floorRun(n int) run {
	c, kubeconfig := freshCluster()
	ctx := context.Background()
	clusterBefore := clusterCPU()
	apiServerProfiled := profileAPIServer(kubeconfig, fmt.Sprintf("apiserver-floor-n%d", n))
	start := time.Now()
	wait := waitInBackground(c, n, start, &appsv1.DeploymentList{}, deploymentAvailable)
	createAll(n, func(i int) error {
		_, err := createChildren(ctx, c, gateway(i), false)
		return err
	})
	r, _ := wait()
	r.clusterCPU = diff(clusterCPU(), clusterBefore)
	apiServerProfiled()
	r.stages = measureStages(c, false)
	fmt.Fprintf(os.Stderr, "bench: floor N=%d: %s\n", n, r.stages)
	return r
}

// deploymentAvailable tells whether a Deployment runs its current spec's replicas, available.
func deploymentAvailable(obj client.Object) bool {
	d := obj.(*appsv1.Deployment)
	return d.Status.ObservedGeneration >= d.Generation && d.Status.AvailableReplicas >= *d.Spec.Replicas
}

// gatewayReady tells whether a GatewayDeployment reports Ready=True.
func gatewayReady(obj client.Object) bool {
	return meta.IsStatusConditionTrue(obj.(*gatewayv1alpha1.GatewayDeployment).Status.Conditions, gatewayv1alpha1.ConditionReady)
}

// createChildren creates the Deployment and Service Portico renders for gwd, as a bare
// client would (typed, so in protobuf), and returns the Service. owned keeps their owner
// reference to gwd: the floor has no GatewayDeployment, and a reference to none would have
// them collected.
func createChildren(ctx context.Context, c client.Client, gwd *gatewayv1alpha1.GatewayDeployment, owned bool) (*corev1.Service, error) {
	objs, err := render.Render(render.Inputs{GatewayDeployment: gwd, DefaultImage: "kong/kong-gateway:3.11"})
	if err != nil {
		return nil, err
	}
	deployment, service := &appsv1.Deployment{}, &corev1.Service{}
	for _, pair := range []struct {
		rendered any
		typed    client.Object
	}{{objs.Deployment, deployment}, {objs.Service, service}} {
		raw, _ := json.Marshal(pair.rendered)
		if err := json.Unmarshal(raw, pair.typed); err != nil {
			return nil, err
		}
		if !owned {
			pair.typed.SetOwnerReferences(nil)
		}
		if err := c.Create(ctx, pair.typed); err != nil {
			return nil, err
		}
	}
	return service, nil
}

// boundRun is the least any operator could ask of the API server for N gateways, with the
// bench as the operator: each gateway's create, its two children's creates, and one status
// write when its Deployment is available (what Portico's status assessment makes of it). No
// cache, no comparison, no server-side apply: its ratio to the floor is a bound on Portico's.
func boundRun(n int) run {
	c, kubeconfig := freshCluster()
	ctx := context.Background()
	installCRD(c)
	clusterBefore, benchBefore := clusterCPU(), cpuSeconds(os.Getpid())
	apiServerProfiled := profileAPIServer(kubeconfig, fmt.Sprintf("apiserver-bound-n%d", n))
	start := time.Now()
	type created struct {
		gwd     *gatewayv1alpha1.GatewayDeployment
		service *corev1.Service
	}
	var byName sync.Map
	available := make(chan *appsv1.Deployment, n)
	waitAvailable := waitInBackground(c, n, start, &appsv1.DeploymentList{}, func(obj client.Object) bool {
		ok := deploymentAvailable(obj)
		if ok {
			available <- obj.(*appsv1.Deployment).DeepCopy()
		}
		return ok
	})
	wait := waitInBackground(c, n, start, &gatewayv1alpha1.GatewayDeploymentList{}, gatewayReady)
	writers := writeStatuses(c, available, func(d *appsv1.Deployment) (*gatewayv1alpha1.GatewayDeployment, *corev1.Service) {
		v, ok := byName.Load(d.Name)
		for !ok { // its create has not returned yet
			time.Sleep(10 * time.Millisecond)
			v, ok = byName.Load(d.Name)
		}
		return v.(created).gwd, v.(created).service
	})
	createAll(n, func(i int) error {
		gwd := gateway(i)
		if err := c.Create(ctx, gwd); err != nil {
			return err
		}
		service, err := createChildren(ctx, c, gwd, true)
		if err != nil {
			return err
		}
		byName.Store(gwd.Name, created{gwd, service})
		return nil
	})
	r, _ := wait()
	waitAvailable()
	close(available)
	writers()
	r.clusterCPU = diff(clusterCPU(), clusterBefore)
	// The bench is the operator here: its CPU is what the operator's would be.
	r.clusterCPU["bench (as the operator)"] = cpuSeconds(os.Getpid()) - benchBefore
	apiServerProfiled()
	fmt.Fprintf(os.Stderr, "bench: bound N=%d: %.1f s\n", n, r.total.Seconds())
	if stormAt == n {
		r.storm = boundStorm(c, n)
	}
	return r
}

// writeStatuses writes, parallel at a time, the status Portico would write for the gateway
// of each Deployment that comes out of rolledOut, as the bound's operator; made gives that
// gateway as last written, and its Service. The returned func waits for the writers once
// rolledOut is closed.
func writeStatuses(c client.Client, rolledOut <-chan *appsv1.Deployment, made func(*appsv1.Deployment) (*gatewayv1alpha1.GatewayDeployment, *corev1.Service)) (wait func()) {
	var writers sync.WaitGroup
	for range parallel {
		writers.Go(func() {
			for d := range rolledOut {
				before, service := made(d)
				gwd := before.DeepCopy()
				gwd.Status = status.Assess(gwd, status.Observed{Deployment: d, Service: service}, metav1.Now())
				must(c.Status().Patch(context.Background(), gwd, client.MergeFrom(before)), "writing a gateway's status")
			}
		})
	}
	return writers.Wait
}

// stallLimit is how long a run may go without one more object becoming ready.
const stallLimit = 5 * time.Minute

// waitFor watches list's kind in the bench namespace until n objects are ready, recording the
// timeline and when each was first seen ready. It closes watching once its watch is open, so
// that the caller creates objects only then and no early Ready is seen late. A watch, not
// polling: listing every object many times a second would load the API server the runs
// compete for, and more for custom resources (JSON) than for Deployments.
func waitFor(c client.WithWatch, n int, start time.Time, list client.ObjectList, ready func(client.Object) bool, watching chan<- struct{}) (run, map[string]time.Time) {
	// A run ends in failure once nothing has become ready for stallLimit: at 10,000 gateways
	// the local cluster itself slows to a few a second, and a fixed limit on the whole run
	// stopped runs that were still progressing.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var lastProgress atomic.Int64
	lastProgress.Store(time.Now().UnixNano())
	go func() {
		for ctx.Err() == nil {
			time.Sleep(10 * time.Second)
			if time.Since(time.Unix(0, lastProgress.Load())) > stallLimit {
				cancel()
			}
		}
	}()
	var r run
	readyAt := map[string]time.Time{}
	observe := func(obj client.Object) {
		if _, seen := readyAt[obj.GetName()]; seen || !ready(obj) {
			return
		}
		now := time.Now()
		lastProgress.Store(now.UnixNano())
		readyAt[obj.GetName()] = now
		r.timeline = append(r.timeline, sample{now.Sub(start), len(readyAt)})
		if r.firstReady == 0 {
			r.firstReady = now.Sub(start)
		}
	}
	r.timeline = append(r.timeline, sample{0, 0})
	for len(readyAt) < n {
		// (Re)list, then watch from there; a watch the API server ends is started again.
		must(c.List(ctx, list, client.InNamespace(namespace)), "listing")
		items, err := meta.ExtractList(list)
		must(err, "reading the list")
		for _, item := range items {
			observe(item.(client.Object))
		}
		w, err := c.Watch(ctx, list, client.InNamespace(namespace), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.GetResourceVersion()}})
		must(err, "watching")
		if watching != nil {
			close(watching)
			watching = nil
		}
		for event := range w.ResultChan() {
			if obj, ok := event.Object.(client.Object); ok && (event.Type == watch.Added || event.Type == watch.Modified) {
				observe(obj)
			}
			if len(readyAt) >= n {
				break
			}
		}
		w.Stop()
		if ctx.Err() != nil {
			fail(fmt.Errorf("only %d of %d ready after %s, none for the last %s", len(readyAt), n, time.Since(start), stallLimit))
		}
	}
	r.total = r.timeline[len(r.timeline)-1].at
	return r, readyAt
}

// waitInBackground starts waitFor and returns once its watch is open.
func waitInBackground(c client.WithWatch, n int, start time.Time, list client.ObjectList, ready func(client.Object) bool) func() (run, map[string]time.Time) {
	watching := make(chan struct{})
	type result struct {
		r  run
		at map[string]time.Time
	}
	done := make(chan result, 1)
	go func() {
		r, at := waitFor(c, n, start, list, ready, watching)
		done <- result{r, at}
	}()
	<-watching
	return func() (run, map[string]time.Time) {
		res := <-done
		return res.r, res.at
	}
}

func portico(n int, manager string, rest time.Duration, unrelated int) operatorRun {
	c, kubeconfig := freshCluster()
	ctx := context.Background()
	installCRD(c)
	createUnrelated(c, unrelated)

	operator := startOperator(manager, kubeconfig, "operator")
	cmd, metricsAddr, pprofAddr := operator.cmd, operator.metricsAddr, operator.pprofAddr
	defer operator.stop()
	stopSampling := make(chan struct{})
	sampled := rssParts(cmd.Process.Pid, stopSampling)
	// Counted from when its caches have synced: the initial lists are not per gateway.
	waitHTTP("http://" + operator.probeAddr + "/readyz")
	before, reconcilesBefore := requests(metricsAddr), reconciles(metricsAddr)
	cpuBefore := cpuSeconds(cmd.Process.Pid)
	clusterBefore := clusterCPU()
	apiServerProfiled := profileAPIServer(kubeconfig, fmt.Sprintf("apiserver-portico-n%d", n))
	operatorProfiled := profileCPU(http.DefaultClient, "http://"+pprofAddr, fmt.Sprintf("operator-n%d", n))

	start := time.Now()
	wait := waitInBackground(c, n, start, &gatewayv1alpha1.GatewayDeploymentList{}, gatewayReady)
	names := make([]string, n)
	startedAt := createAll(n, func(i int) error {
		names[i] = gateway(i).Name
		return c.Create(ctx, gateway(i))
	})
	started := map[string]time.Time{}
	for i, name := range names {
		started[name] = startedAt[i]
	}
	var op operatorRun
	var readyAt map[string]time.Time
	op.run, readyAt = wait()
	// First Ready counts from each gateway's own creation.
	op.firstReady = 0
	for name, at := range readyAt {
		if latency := at.Sub(started[name]); op.firstReady == 0 || latency < op.firstReady {
			op.firstReady = latency
		}
	}
	op.requests = diff(requests(metricsAddr), before)
	op.reconciles = diff(reconciles(metricsAddr), reconcilesBefore)
	op.cpuSeconds = cpuSeconds(cmd.Process.Pid) - cpuBefore
	op.clusterCPU = diff(clusterCPU(), clusterBefore)
	apiServerProfiled()
	operatorProfiled()
	// The audit log is counted over the same span as the metrics.
	countedAt := time.Now()
	op.stages = measureStages(c, true)
	fmt.Fprintf(os.Stderr, "bench: Portico N=%d: %s; reconciles %v\n", n, op.stages, op.reconciles)

	// At rest: nothing should be written, nothing asked.
	versions := resourceVersions(c)
	restStart := requests(metricsAddr)
	time.Sleep(rest)
	op.restRequests = diff(requests(metricsAddr), restStart)
	restEnd := time.Now()
	// The audit log may trail the requests by a moment.
	time.Sleep(2 * time.Second)
	agent := filepath.Base(manager) + "/"
	op.audited = auditedRequests(auditLogs(), agent, start, countedAt)
	op.auditedRest = auditedRequests(auditLogs(), agent, countedAt.Add(time.Second), restEnd)
	after := resourceVersions(c)
	for k, v := range after {
		if versions[k] != v {
			op.restRVChanges++
		}
	}
	op.peakRSSKiB = peakRSS(cmd.Process.Pid)
	close(stopSampling)
	parts := <-sampled
	op.peakAnonKiB, op.peakFileKiB = parts[0], parts[1]
	fmt.Fprintf(os.Stderr, "bench: N=%d peak RSS %d KiB; sampled peaks: anonymous %d KiB, file-backed %d KiB\n", n, op.peakRSSKiB, op.peakAnonKiB, op.peakFileKiB)
	if pprofAddr != "" {
		saveHeapProfile(pprofAddr, n)
	}
	if stormAt == n {
		op.storm = measureStorm(c, n, metricsAddr)
	}
	if restartAt == n {
		op.restart = measureRestart(c, manager, kubeconfig, n, cmd)
		op.restart.handOver = measureHandOver(manager, kubeconfig, n)
	}
	return op
}

// operatorEnv is added to the environment of the operators startOperator starts.
var operatorEnv []string

// operatorProcess is an operator the bench started, and where it serves.
type operatorProcess struct {
	cmd                               *exec.Cmd
	metricsAddr, probeAddr, pprofAddr string
}

// startOperator starts the operator binary on kubeconfig's cluster, logging to the temporary
// directory as portico-bench-<name>.log, and returns once it serves its metrics. It runs as
// shipped, without profiles, unless -profile asks (serving them makes it sample its heap,
// which costs memory of its own); BENCH_OPERATOR_ARGS tries other settings (the report names
// them in its command line).
func startOperator(manager, kubeconfig, name string, extraArgs ...string) *operatorProcess {
	op := &operatorProcess{metricsAddr: freePort(), probeAddr: freePort()}
	args := append([]string{"--metrics-bind-address=" + op.metricsAddr, "--metrics-secure=false", "--health-probe-bind-address=" + op.probeAddr}, extraArgs...)
	if profile {
		op.pprofAddr = freePort()
		args = append(args, "--pprof-bind-address="+op.pprofAddr)
	}
	args = append(args, strings.Fields(os.Getenv("BENCH_OPERATOR_ARGS"))...)
	op.cmd = exec.Command(manager, args...)
	op.cmd.Env = append(append(os.Environ(), "KUBECONFIG="+kubeconfig, "CONTAINER_MEMORY_LIMIT="+operatorMemoryLimit()), operatorEnv...)
	op.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logFile, err := os.Create(filepath.Join(os.TempDir(), "portico-bench-"+name+".log"))
	must(err, "creating the operator's log")
	op.cmd.Stdout, op.cmd.Stderr = logFile, logFile
	must(op.cmd.Start(), "starting the operator")
	waitHTTP("http://" + op.metricsAddr + "/metrics")
	return op
}

func (op *operatorProcess) stop() { _ = op.cmd.Process.Kill(); _, _ = op.cmd.Process.Wait() }

// restartAt is the N at which a Portico run ends by restarting the operator (-scale).
var restartAt int

// saveHeapProfile keeps the operator's heap profile at rest, for `go tool pprof`, and the
// runtime's memory statistics beside it (debug=1 ends with them).
func saveHeapProfile(addr string, n int) {
	for query, name := range map[string]string{"": "heap-n%d.pb.gz", "?debug=1": "heap-n%d.txt"} {
		resp, err := http.Get("http://" + addr + "/debug/pprof/heap" + query)
		if err != nil {
			return
		}
		path := filepath.Join(os.TempDir(), "portico-bench-"+fmt.Sprintf(name, n))
		if f, err := os.Create(path); err == nil {
			_, _ = io.Copy(f, resp.Body)
			_ = f.Close()
			fmt.Fprintf(os.Stderr, "bench: heap profile at rest: %s\n", path)
		}
		_ = resp.Body.Close()
	}
}

// unrelatedObjects is how many objects without Portico's labels the memory run adds.
const unrelatedObjects = 10000

// createUnrelated fills 10 other namespaces with n Secrets, ConfigMaps and Deployments (with
// no replicas) that are none of Portico's business: its cache must not hold them.
func createUnrelated(c client.Client, n int) {
	if n == 0 {
		return
	}
	ctx := context.Background()
	for ns := range 10 {
		must(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("unrelated-%d", ns)}}), "creating a namespace")
	}
	payload := strings.Repeat("x", 1024)
	createAll(n, func(i int) error {
		meta := metav1.ObjectMeta{Namespace: fmt.Sprintf("unrelated-%d", i%10), Name: fmt.Sprintf("obj-%05d", i), Labels: map[string]string{"app": "other"}}
		switch i % 3 {
		case 0:
			return c.Create(ctx, &corev1.Secret{ObjectMeta: meta, StringData: map[string]string{"data": payload}})
		case 1:
			return c.Create(ctx, &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"data": payload}})
		default:
			return c.Create(ctx, &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](0),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "other"}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}},
				},
			}})
		}
	})
}

func installCRD(c client.Client) {
	raw, err := os.ReadFile("config/crd/bases/gateway.portico.dev_gatewaydeployments.yaml")
	must(err, "reading the CRD")
	crd := &apiextensionsv1.CustomResourceDefinition{}
	must(yaml.Unmarshal(raw, crd), "decoding the CRD")
	ctx := context.Background()
	must(c.Create(ctx, crd), "installing the CRD")
	for range 100 {
		if err := c.Get(ctx, client.ObjectKeyFromObject(crd), crd); err == nil {
			for _, cond := range crd.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					time.Sleep(time.Second) // and in discovery
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	fail(fmt.Errorf("the CRD never became established"))
}

// maximalGateway is gateway(i) with every map and list of its spec at the CRD's maximum and
// the longest values, short of the API server's object size limit: 128 KiB of pod annotations,
// 16 KiB of Service annotations, 64 pod labels, 128 env values of envBytes, 32 tolerations.
// Scheduling stays possible (no node selector), so that the gateways become Ready.
func maximalGateway(i int) *gatewayv1alpha1.GatewayDeployment {
	gwd := ordinaryGateway(i)
	spec := &gwd.Spec
	spec.Pod.Annotations, spec.Pod.Labels, spec.Service.Annotations = gatewayv1alpha1.AnnotationMap{}, gatewayv1alpha1.LabelMap{}, gatewayv1alpha1.AnnotationMap{}
	for k := range 64 {
		key := fmt.Sprintf("bench.portico.dev/k%02d", k)
		spec.Pod.Annotations[key] = strings.Repeat("a", 2048-len(key))
		spec.Service.Annotations[key] = strings.Repeat("s", 256-len(key))
		spec.Pod.Labels[strings.Repeat("p", 230)+fmt.Sprintf(".example/%02d", k)+strings.Repeat("n", 50)] = gatewayv1alpha1.LabelValue(strings.Repeat("v", 63))
	}
	for k := range 128 {
		spec.Env = append(spec.Env, gatewayv1alpha1.EnvVar{Name: fmt.Sprintf("BENCH_%03d", k), Value: strings.Repeat("e", envBytes)})
	}
	for k := range 32 {
		spec.Pod.Tolerations = append(spec.Pod.Tolerations, gatewayv1alpha1.Toleration{Key: fmt.Sprintf("bench.portico.dev/t%02d", k), Operator: corev1.TolerationOpExists})
	}
	return gwd
}
