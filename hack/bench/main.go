// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Command bench measures Portico against the local cluster's own floor (make bench).
//
// For each N, on a fresh kwok cluster each time:
//   - floor: a bare client creates the children Portico would create for N gateways (rendered
//     by Portico's own builders), 16 at a time with no client-side throttling, and waits until
//     every Deployment is available;
//   - operator: the operator binary runs as a process; N GatewayDeployments are created the
//     same way, and the bench waits until all are Ready=True, then watches the cluster at rest;
//   - with -bound, the least any operator could do: no operator runs; the bench creates each
//     GatewayDeployment and its two children and writes its Ready status.
//
// It writes a markdown table and a PNG plot under docs/benchmarks/.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
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
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/status"
)

// profile serves the operator's profiles and keeps CPU profiles of each run (-profile).
var (
	profile        bool
	profileSeconds int
	// bound adds boundRun to each pair (-bound).
	bound bool
	// maximal makes gateway give every GatewayDeployment the largest spec the CRD admits and
	// the local cluster can run (-hostile), with env values of envBytes.
	maximal  bool
	envBytes int
)

const (
	clusterName = "portico-bench"
	namespace   = "bench"
	parallel    = 16
)

type sample struct {
	at    time.Duration
	ready int
}

type run struct {
	total      time.Duration
	firstReady time.Duration
	timeline   []sample
	stages     stages
	// clusterCPU is the CPU seconds the cluster's processes spent, creation to all ready.
	clusterCPU map[string]float64
}

type operatorRun struct {
	run
	peakRSSKiB     int64
	peakAnonKiB    int64 // anonymous memory (heap, stacks), sampled
	peakFileKiB    int64 // pages of the binary and other files, sampled
	cpuSeconds     float64
	requests       map[string]float64 // by HTTP method, creation to all Ready
	restRequests   map[string]float64 // by HTTP method, during the rest period
	reconciles     map[string]float64 // by result, creation to all Ready
	restRVChanges  int                // objects in the namespace whose resourceVersion changed at rest
	firstLatencies []time.Duration
	audited        map[string]float64 // by verb: the audit log's count of the operator's requests, creation to all Ready
	auditedRest    map[string]float64 // the same, at rest
}

func main() {
	sizes := flag.String("n", "100,500", "comma-separated numbers of GatewayDeployments")
	rest := flag.Duration("rest", 120*time.Second, "how long to watch the cluster at rest")
	out := flag.String("out", "docs/benchmarks", "where to write the report")
	pairs := flag.Int("pairs", 3, "floor and operator runs per N, back to back; the median pair by ratio is reported")
	flag.BoolVar(&profile, "profile", false, "serve the operator's profiles (/debug/pprof); keep CPU profiles of the operator and the API server (the first -profile-seconds of each run) and the operator's heap profile at rest in the temporary directory")
	flag.IntVar(&profileSeconds, "profile-seconds", 30, "how long the CPU profiles of -profile run from each run's start")
	flag.BoolVar(&bound, "bound", false, "also run, in each pair, the least any operator could ask of the API server (the bench creates each gateway and its children and writes its Ready status)")
	memory := flag.Int("memory", 0, "also run N=memory GatewayDeployments without and with 10,000 unrelated objects, for peak RSS (0: skip)")
	hostile := flag.Int("hostile", 0, "also run N=hostile GatewayDeployments at every maximum of the spec (as a hostile tenant would write them), for peak RSS (0: skip)")
	flag.IntVar(&envBytes, "hostile-env-bytes", 4<<10, "the length of each of the 128 env values in -hostile specs (at 4 KiB, the bench's own list of 1,000 gateways times out)")
	flag.Parse()
	// The bench's clients have nothing to log; controller-runtime would otherwise warn, with a
	// stack trace, that no logger was set.
	ctrllog.SetLogger(logr.Discard())

	if others := runningAPIServers(); len(others) > 0 {
		fail(fmt.Errorf("other API servers are running (%s): their CPU would skew every timing; stop them first (CLUSTER_NAME=<name> hack/cluster.sh down)", strings.Join(others, ", ")))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	manager := filepath.Join(*out, ".manager")
	must(exec.Command("go", "build", "-o", manager, "./cmd").Run(), "building the operator")
	defer os.Remove(manager)

	var report strings.Builder
	header(&report, *sizes, *rest, *memory, *pairs)
	plots := map[int][3]run{}
	var audits, waits, pairLines strings.Builder
	for _, field := range strings.Split(*sizes, ",") {
		if strings.TrimSpace(field) == "" {
			continue // -n "": the memory run alone
		}
		n, err := strconv.Atoi(strings.TrimSpace(field))
		must(err, "parsing -n")
		// Back-to-back pairs, the median by ratio reported: on two shared cores one pair
		// alone varies by ±15 %. Only the last operator run rests, for the at-rest figures.
		type pair struct {
			floor, bound run
			op           operatorRun
		}
		var runs []pair
		for i := range *pairs {
			fmt.Fprintf(os.Stderr, "bench: N=%d floor (pair %d of %d)\n", n, i+1, *pairs)
			floor := floorRun(n)
			fmt.Fprintf(os.Stderr, "bench: N=%d operator (pair %d of %d)\n", n, i+1, *pairs)
			resting := time.Duration(0)
			if i == *pairs-1 {
				resting = *rest
			}
			op := portico(n, manager, resting, 0)
			var least run
			if bound {
				fmt.Fprintf(os.Stderr, "bench: N=%d bound (pair %d of %d)\n", n, i+1, *pairs)
				least = boundRun(n)
			}
			runs = append(runs, pair{floor: floor, bound: least, op: op})
		}
		last := runs[len(runs)-1].op
		var each []string
		var bounds []string
		for _, p := range runs {
			each = append(each, fmt.Sprintf("%.1f / %.1f s (%.2f)", p.floor.total.Seconds(), p.op.total.Seconds(), p.op.total.Seconds()/p.floor.total.Seconds()))
			if bound {
				bounds = append(bounds, fmt.Sprintf("%.1f s (%.2f; cluster CPU %s)", p.bound.total.Seconds(), p.bound.total.Seconds()/p.floor.total.Seconds(), cpuLine(p.bound.clusterCPU)))
			}
		}
		sort.SliceStable(runs, func(i, j int) bool {
			return runs[i].op.total.Seconds()/runs[i].floor.total.Seconds() < runs[j].op.total.Seconds()/runs[j].floor.total.Seconds()
		})
		median := runs[len(runs)/2]
		median.op.restRequests, median.op.restRVChanges, median.op.auditedRest = last.restRequests, last.restRVChanges, last.auditedRest
		table(&report, n, median.floor, median.bound, median.op, *rest)
		auditLine(&audits, n, median.op)
		fmt.Fprintf(&pairLines, "- N=%d, floor / Portico (ratio) in run order: %s.\n", n, strings.Join(each, "; "))
		if bound {
			fmt.Fprintf(&pairLines, "- N=%d, the least any operator could ask (the bench creates each gateway and its two children and writes one status; ratio to the same pair's floor), in run order: %s.\n", n, strings.Join(bounds, "; "))
		}
		fmt.Fprintf(&waits, "- N=%d: floor: %s. Portico: %s.\n", n, median.floor.stages, median.op.stages)
		fmt.Fprintf(&waits, "  Cluster CPU, creation to all ready: floor %s; Portico's run %s, and the operator's own %.1f s.\n",
			cpuLine(median.floor.clusterCPU), cpuLine(median.op.clusterCPU), median.op.cpuSeconds)
		plots[n] = [3]run{median.floor, median.op.run, median.bound}
	}
	report.WriteString("\nEach row is the pair with the median ratio; the at-rest figures come from the last pair's operator run.\n\n")
	report.WriteString(pairLines.String())
	report.WriteString("\nThe operator's requests counted twice: by its own metrics (rest_client_requests_total, by " +
		"method) and by the API server's audit log (by verb, requests from the operator's user agent).\n\n")
	report.WriteString(audits.String())
	report.WriteString("\nWhere each gateway's time went, by the API server's timestamps (whole seconds; median / 90th percentile / max):\n\n")
	report.WriteString(waits.String())
	if *memory > 0 {
		fmt.Fprintf(os.Stderr, "bench: memory N=%d\n", *memory)
		plain := portico(*memory, manager, 0, 0)
		fmt.Fprintf(os.Stderr, "bench: memory N=%d with %d unrelated objects\n", *memory, unrelatedObjects)
		crowded := portico(*memory, manager, 0, unrelatedObjects)
		memoryTable(&report, *memory, plain, crowded)
	}
	if *hostile > 0 {
		fmt.Fprintf(os.Stderr, "bench: hostile N=%d, each spec at every maximum\n", *hostile)
		plain := portico(*hostile, manager, 0, 0)
		maximal = true
		worst := portico(*hostile, manager, 0, 0)
		maximal = false
		hostileTable(&report, *hostile, plain, worst)
	}
	cluster("down")
	configCheckTable(&report)
	sizesRun := make([]int, 0, len(plots))
	for n := range plots {
		sizesRun = append(sizesRun, n)
	}
	sort.Ints(sizesRun)
	for _, n := range sizesRun {
		runs := plots[n]
		name := fmt.Sprintf("ready-over-time-n%d.png", n)
		must(plot(filepath.Join(*out, name), runs[0], runs[1], runs[2]), "plotting")
		legend := "floor (grey) and Portico (blue)"
		if bound {
			legend = "floor (grey), the least any operator could do (orange) and Portico (blue)"
		}
		fmt.Fprintf(&report, "\n![Ready over time, N=%d: %s](%s)\n", n, legend, name)
	}
	must(os.WriteFile(filepath.Join(*out, "README.md"), []byte(report.String()), 0o644), "writing the report")
	fmt.Print(report.String())
}

// configCheckTable reports what checking a configuration at the size limit costs the reconcile
// that meets a new version of it (checks, mesh view, content hash): BenchmarkCheck1MiB, three
// times. At rest nothing is checked again (an envtest counts the requests: none).
func configCheckTable(b *strings.Builder) {
	fmt.Fprintln(os.Stderr, "bench: checking a 1 MiB configuration")
	out, err := exec.Command("go", "test", "-run", "^$", "-bench", "Check1MiB", "-benchtime", "10x", "-count", "3",
		"./internal/kongconfig").CombinedOutput()
	must(err, "benchmarking the configuration check: "+string(out))
	b.WriteString("\nChecking a Kong configuration of 1 MiB (the most Portico takes), once per new version (go test -bench Check1MiB ./internal/kongconfig):\n\n```\n")
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Benchmark") {
			b.WriteString(line + "\n")
		}
	}
	b.WriteString("```\n")
}

// cluster runs hack/cluster.sh for the bench's own cluster: 5 nodes with room for 1,000 pods
// each and a service range wide enough for every N.
func cluster(action string) string {
	cmd := exec.Command("hack/cluster.sh", action)
	cmd.Env = append(os.Environ(),
		"CLUSTER_NAME="+clusterName,
		"CLUSTER_NODES=5",
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				started[i] = time.Now()
				must(create(i), "creating")
			}
		}()
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
	var writers sync.WaitGroup
	for range parallel {
		writers.Go(func() {
			for d := range available {
				v, ok := byName.Load(d.Name)
				for !ok { // its create has not returned yet
					time.Sleep(10 * time.Millisecond)
					v, ok = byName.Load(d.Name)
				}
				made := v.(created)
				gwd := made.gwd.DeepCopy()
				gwd.Status = status.Assess(gwd, status.Observed{Deployment: d, Service: made.service}, metav1.Now())
				must(c.Status().Patch(ctx, gwd, client.MergeFrom(made.gwd)), "writing a gateway's status")
			}
		})
	}
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
	writers.Wait()
	r.clusterCPU = diff(clusterCPU(), clusterBefore)
	// The bench is the operator here: its CPU is what the operator's would be.
	r.clusterCPU["bench (as the operator)"] = cpuSeconds(os.Getpid()) - benchBefore
	apiServerProfiled()
	fmt.Fprintf(os.Stderr, "bench: bound N=%d: %.1f s\n", n, r.total.Seconds())
	return r
}

// waitFor watches list's kind in the bench namespace until n objects are ready, recording the
// timeline and when each was first seen ready. It closes watching once its watch is open, so
// that the caller creates objects only then and no early Ready is seen late. A watch, not
// polling: listing every object many times a second would load the API server the runs
// compete for, and more for custom resources (JSON) than for Deployments.
func waitFor(c client.WithWatch, n int, start time.Time, list client.ObjectList, ready func(client.Object) bool, watching chan<- struct{}) (run, map[string]time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var r run
	readyAt := map[string]time.Time{}
	observe := func(obj client.Object) {
		if _, seen := readyAt[obj.GetName()]; seen || !ready(obj) {
			return
		}
		now := time.Now()
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
			fail(fmt.Errorf("only %d of %d ready after %s", len(readyAt), n, time.Since(start)))
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

	metricsAddr, probeAddr := freePort(), freePort()
	args := []string{"--metrics-bind-address=" + metricsAddr, "--metrics-secure=false",
		"--health-probe-bind-address=" + probeAddr}
	// The operator runs as shipped, without profiles, unless asked: serving them makes it
	// sample its heap, which costs memory of its own.
	pprofAddr := ""
	if profile {
		pprofAddr = freePort()
		args = append(args, "--pprof-bind-address="+pprofAddr)
	}
	// BENCH_OPERATOR_ARGS tries other settings (the report names them in its command line).
	args = append(args, strings.Fields(os.Getenv("BENCH_OPERATOR_ARGS"))...)
	cmd := exec.Command(manager, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "CONTAINER_MEMORY_LIMIT="+shippedMemoryLimit())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logFile, err := os.Create(filepath.Join(os.TempDir(), "portico-bench-operator.log"))
	must(err, "creating the operator log")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	must(cmd.Start(), "starting the operator")
	stopSampling := make(chan struct{})
	sampled := rssParts(cmd.Process.Pid, stopSampling)
	defer func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() }()
	waitHTTP("http://" + metricsAddr + "/metrics")
	// Counted from when its caches have synced: the initial lists are not per gateway.
	waitHTTP("http://" + probeAddr + "/readyz")
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
	op.audited = auditedRequests(auditLog(), agent, start, countedAt)
	op.auditedRest = auditedRequests(auditLog(), agent, countedAt.Add(time.Second), restEnd)
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
	return op
}

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

func resourceVersions(c client.Client) map[string]string {
	out := map[string]string{}
	lists := []client.ObjectList{&gatewayv1alpha1.GatewayDeploymentList{}, &appsv1.DeploymentList{}, &corev1.ServiceList{}, &corev1.PodList{}, &appsv1.ReplicaSetList{}}
	for _, list := range lists {
		must(c.List(context.Background(), list, client.InNamespace(namespace)), "listing")
		items, _ := meta.ExtractList(list)
		for _, item := range items {
			obj := item.(client.Object)
			out[fmt.Sprintf("%T/%s", list, obj.GetName())] = obj.GetResourceVersion()
		}
	}
	return out
}

// requests reads the operator's rest_client_requests_total, summed by method.
func requests(addr string) map[string]float64 {
	return metricByLabel(addr, "rest_client_requests_total{", "method")
}

// reconciles reads how many times the operator reconciled a gateway, by result.
func reconciles(addr string) map[string]float64 {
	return metricByLabel(addr, `controller_runtime_reconcile_total{controller="gatewaydeployment",`, "result")
}

// metricByLabel sums the operator's metric lines that start with prefix, by one label.
func metricByLabel(addr, prefix, label string) map[string]float64 {
	resp, err := http.Get("http://" + addr + "/metrics")
	must(err, "reading the operator's metrics")
	defer resp.Body.Close()
	out := map[string]float64{}
	scanner := bufio.NewScanner(resp.Body)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		i := strings.Index(line, label+`="`)
		if i < 0 {
			continue
		}
		value := line[i+len(label)+2:]
		value = value[:strings.Index(value, `"`)]
		v, _ := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		out[value] += v
	}
	return out
}

func diff(after, before map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// procStatus reads fields (in KiB) of the operator's /proc status.
func procStatus(pid int, fields ...string) map[string]int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	must(err, "reading the operator's status")
	out := map[string]int64{}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && slices.Contains(fields, strings.TrimSuffix(f[0], ":")) {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			out[strings.TrimSuffix(f[0], ":")] = v
		}
	}
	return out
}

func peakRSS(pid int) int64 { return procStatus(pid, "VmHWM")["VmHWM"] }

// rssParts samples the operator's anonymous and file-backed resident memory until stop is
// closed and reports the highest of each: the kernel keeps a peak of their sum only.
func rssParts(pid int, stop <-chan struct{}) <-chan [2]int64 {
	out := make(chan [2]int64, 1)
	go func() {
		var peak [2]int64
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			v := procStatus(pid, "RssAnon", "RssFile")
			peak[0], peak[1] = max(peak[0], v["RssAnon"]), max(peak[1], v["RssFile"])
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

func cpuSeconds(pid int) float64 {
	seconds, err := procCPU(pid)
	must(err, "reading the operator's CPU time")
	return seconds
}

func procCPU(pid int) (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(raw[strings.LastIndex(string(raw), ")")+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100, nil // USER_HZ
}

// clusterCPU sums the CPU seconds of the bench cluster's processes so far, by binary (the
// API server, etcd, the controller manager, the scheduler, kwok): where a run's time goes on
// two shared cores.
func clusterCPU() map[string]float64 {
	out := map[string]float64{}
	for pid, bin := range processes() {
		if !strings.Contains(bin, "/clusters/"+clusterName+"/") {
			continue
		}
		if seconds, err := procCPU(pid); err == nil {
			out[filepath.Base(bin)] += seconds
		}
	}
	return out
}

// processes gives the running processes' binaries (their first argument) by pid; zombies,
// which have none, are left out.
func processes() map[int]string {
	out := map[int]string{}
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil || len(raw) == 0 {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		out[pid] = strings.SplitN(string(raw), "\x00", 2)[0]
	}
	return out
}

// cpuLine lists CPU seconds by process, largest first, with their total.
func cpuLine(byName map[string]float64) string {
	names := slices.Collect(maps.Keys(byName))
	sort.Slice(names, func(i, j int) bool { return byName[names[i]] > byName[names[j]] })
	var parts []string
	total := 0.0
	for _, name := range names {
		parts = append(parts, fmt.Sprintf("%s %.1f s", name, byName[name]))
		total += byName[name]
	}
	return fmt.Sprintf("%.1f s (%s)", total, strings.Join(parts, ", "))
}

func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(err, "finding a free port")
	defer l.Close()
	return l.Addr().String()
}

// waitHTTP waits until url answers 200 OK.
func waitHTTP(url string) {
	for range 300 {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	fail(fmt.Errorf("%s never answered", url))
}

func header(b *strings.Builder, sizes string, rest time.Duration, memory, pairs int) {
	commit, _ := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	// The report itself is about to change: only the code counts.
	if dirty, _ := exec.Command("git", "status", "--porcelain", "--", ".", ":!docs/benchmarks").Output(); len(dirty) > 0 {
		commit = append(bytes.TrimSpace(commit), " with uncommitted changes"...)
	}
	cpu := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	fmt.Fprintf(b, "# Portico benchmark\n\n%s, %d cores (%s), %s/%s, commit %s.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), cpu, runtime.GOOS, runtime.GOARCH, strings.TrimSpace(string(commit)))
	command := fmt.Sprintf("go run ./hack/bench -n %s -rest %s -pairs %d", sizes, rest, pairs)
	if extra := os.Getenv("BENCH_OPERATOR_ARGS"); extra != "" {
		command = fmt.Sprintf("BENCH_OPERATOR_ARGS=%q %s", extra, command)
	}
	if memory > 0 {
		command += fmt.Sprintf(" -memory %d", memory)
	}
	if profile {
		command += " -profile"
	}
	if bound {
		command += " -bound"
	}
	fmt.Fprintf(b, "Command: `%s` (make bench). Each run on a fresh local kwok cluster "+
		"(5 nodes, 1,000 pods each); the floor is a bare client creating the same children (typed, in protobuf), 16 at a time, unthrottled. "+
		"The plots show the Ready count (up to N) over time (to the slower run's end) from when the last object was created.\n\n", command)
	if bound {
		b.WriteString("The least any operator could do (-bound): the bench itself creates each GatewayDeployment, then its two children, and writes " +
			"its Ready status once its Deployment is available; no operator runs. Its ratio to the floor is a bound on Portico's.\n\n")
	}
	b.WriteString("| N | floor: all available | least any operator: all Ready (ratio) | Portico: all Ready | ratio (target ≤ 1.2) | first Ready after creation (target ≤ 2 s) " +
		"| API requests per gateway, creation to Ready, by the audit log (target ≤ 4) | peak RSS | CPU | at rest: requests / changed objects (target 0 / 0) |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
}

func table(b *strings.Builder, n int, floor, least run, op operatorRun, rest time.Duration) {
	ratio := op.total.Seconds() / floor.total.Seconds()
	leastCell := "not run"
	if least.total > 0 {
		leastCell = fmt.Sprintf("%.1f s (%.2f)", least.total.Seconds(), least.total.Seconds()/floor.total.Seconds())
	}
	// Per gateway: the audit log's count, which holds no watches (they are long-running and
	// opened once, not per gateway); the operator's own metrics count them as GETs.
	var total float64
	var methods []string
	for m, v := range op.audited {
		if m == "watch" {
			continue
		}
		total += v
		methods = append(methods, fmt.Sprintf("%s %.0f", m, v))
	}
	sort.Strings(methods)
	var restTotal float64
	for _, v := range op.restRequests {
		restTotal += v
	}
	mark := func(ok bool) string {
		if ok {
			return "pass"
		}
		return "FAIL"
	}
	fmt.Fprintf(b, "| %d | %.1f s | %s | %.1f s | %.2f %s | %.2f s %s | %.1f %s (%s) | %.0f MiB | %.1f s | %.0f / %d in %s %s |\n",
		n, floor.total.Seconds(), leastCell, op.total.Seconds(), ratio, mark(ratio <= 1.2),
		op.firstReady.Seconds(), mark(op.firstReady <= 2*time.Second),
		total/float64(n), mark(total/float64(n) <= 4), strings.Join(methods, ", "),
		float64(op.peakRSSKiB)/1024, op.cpuSeconds, restTotal, op.restRVChanges, rest, mark(restTotal == 0 && op.restRVChanges == 0))
}

// auditLine compares the operator's own count of its requests with the audit log's.
func auditLine(b *strings.Builder, n int, op operatorRun) {
	format := func(counts map[string]float64) string {
		var parts []string
		for k, v := range counts {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, v))
		}
		sort.Strings(parts)
		return strings.Join(parts, ", ")
	}
	match := "match"
	if writes(op.requests) != writes(op.audited) {
		match = "DIFFER"
	}
	fmt.Fprintf(b, "- N=%d, creation to Ready: metrics %s; audit log %s; writes %.0f / %.0f (%s). At rest: metrics %.0f requests, audit log %.0f. Reconciles per gateway: %.1f (%s).\n",
		n, format(op.requests), format(op.audited), writes(op.requests), writes(op.audited), match,
		sum(op.restRequests), sum(op.auditedRest), sum(op.reconciles)/float64(n), format(op.reconciles))
}

func sum(counts map[string]float64) float64 {
	var total float64
	for _, v := range counts {
		total += v
	}
	return total
}

// shippedMemoryLimit is the operator container's memory limit in config/manager, in bytes, as
// the downward API gives it to the operator in a cluster.
func shippedMemoryLimit() string {
	raw, err := os.ReadFile(filepath.Join("config", "manager", "manager.yaml"))
	must(err, "reading the operator's Deployment")
	for doc := range strings.SplitSeq(string(raw), "\n---") {
		d := &appsv1.Deployment{}
		if yaml.Unmarshal([]byte(doc), d) != nil || d.Kind != "Deployment" {
			continue
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			if c.Name == "manager" {
				return strconv.FormatInt(c.Resources.Limits.Memory().Value(), 10)
			}
		}
	}
	fail(fmt.Errorf("config/manager/manager.yaml has no manager container"))
	return ""
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

// hostileTable reports peak RSS with ordinary and with maximal specs.
func hostileTable(b *strings.Builder, n int, plain, worst operatorRun) {
	mib := func(kib int64) float64 { return float64(kib) / 1024 }
	fmt.Fprintf(b, "\n| hostile run, N=%d (env values of %d bytes) | peak RSS | of it at most: anonymous / file-backed (sampled) | all Ready |\n|---|---|---|---|\n", n, envBytes)
	for _, row := range []struct {
		name string
		run  operatorRun
	}{{"ordinary specs", plain}, {"every spec at every maximum", worst}} {
		fmt.Fprintf(b, "| %s | %.0f MiB | %.0f / %.0f MiB | %.1f s |\n", row.name, mib(row.run.peakRSSKiB), mib(row.run.peakAnonKiB), mib(row.run.peakFileKiB), row.run.total.Seconds())
	}
}

// memoryTable reports peak RSS without and with unrelated objects in the cluster.
func memoryTable(b *strings.Builder, n int, plain, crowded operatorRun) {
	mib := func(kib int64) float64 { return float64(kib) / 1024 }
	growth := mib(crowded.peakRSSKiB)/mib(plain.peakRSSKiB) - 1
	mark := func(ok bool) string {
		if ok {
			return "pass"
		}
		return "FAIL"
	}
	fmt.Fprintf(b, "\n| memory run, N=%d | peak RSS (target ≤ 60 MiB) | of it at most: anonymous / file-backed (sampled) | all Ready |\n|---|---|---|---|\n", n)
	fmt.Fprintf(b, "| alone | %.0f MiB %s | %.0f / %.0f MiB | %.1f s |\n", mib(plain.peakRSSKiB), mark(mib(plain.peakRSSKiB) <= 60),
		mib(plain.peakAnonKiB), mib(plain.peakFileKiB), plain.total.Seconds())
	fmt.Fprintf(b, "| with %d unrelated Secrets, ConfigMaps and Deployments in 10 other namespaces | %.0f MiB, %+.0f %% %s (target ≤ +10 %%) | %.0f / %.0f MiB | %.1f s |\n",
		unrelatedObjects, mib(crowded.peakRSSKiB), growth*100, mark(growth <= 0.10), mib(crowded.peakAnonKiB), mib(crowded.peakFileKiB), crowded.total.Seconds())
}

func must(err error, what string) {
	if err != nil {
		fail(fmt.Errorf("%s: %w", what, err))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	cluster("down")
	os.Exit(1)
}

// runningAPIServers lists the kube-apiserver processes running now (a local cluster left up
// by the e2e tests, say), by their command line.
func runningAPIServers() []string {
	var found []string
	for _, bin := range processes() {
		if filepath.Base(bin) == "kube-apiserver" {
			found = append(found, bin)
		}
	}
	return found
}
