// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/apply"
	"github.com/portico-dev/portico/internal/capability"
	"github.com/portico-dev/portico/internal/konnect"
	"github.com/portico-dev/portico/internal/konnect/konnecttest"
	"github.com/portico-dev/portico/internal/metricsauth"
)

// The integration tests share one real API server (envtest: etcd + kube-apiserver built by
// hack/testbin.sh) and one manager running the real reconciler with the production cache.
var (
	k8s        client.WithWatch // direct, uncached: what a user or another controller would do
	reconciler *GatewayDeploymentReconciler
	requests   = &requestCounter{}
	// metricsURL is where the manager serves its metrics.
	metricsURL string
	// konnectCalls counts the reconciler's calls to the Konnect stand-in under way.
	konnectCalls = &inFlight{}
	// testEnvConfig reaches the API server as admin, for tests that install CRDs.
	testEnvConfig *rest.Config
	testImage     = "registry.example/kong-gateway:1.0"
	// fakeKonnect stands in for Konnect; testClock is the reconciler's (and its) clock, which
	// tests move forward to reach a certificate's renewal time.
	fakeKonnect *konnecttest.Server
	testClock   = &shiftedClock{}
)

const konnectToken = "kpat_portico-test-token-0123456789"

// shiftedClock is the real time plus an offset. A test that moves it must move it back: other
// parts of the operator compare it with the API server's timestamps.
type shiftedClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *shiftedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *shiftedClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

func (c *shiftedClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// inFlight counts the operator's calls under way, and the most at once.
type inFlight struct {
	mu        sync.Mutex
	now, most int
}

func (c *inFlight) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		c.mu.Lock()
		c.now++
		c.most = max(c.most, c.now)
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			c.now--
			c.mu.Unlock()
		}()
		return rt.RoundTrip(r)
	})
}

// takeMost gives the most calls under way at once since the last time it was asked.
func (c *inFlight) takeMost() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	most := c.most
	c.most = c.now
	return most
}

// requestCounter counts the manager's API requests by HTTP method.
type requestCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *requestCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		c.mu.Lock()
		if c.counts == nil {
			c.counts = map[string]int{}
		}
		verb := req.Method
		if req.URL.Query().Get("watch") == "true" {
			verb = "WATCH"
		}
		c.counts[verb+" "+req.URL.Path]++
		c.mu.Unlock()
		return rt.RoundTrip(req)
	})
}

// writes returns the non-read requests seen since the last reset.
func (c *requestCounter) writes() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, n := range c.counts {
		switch k[:3] {
		case "GET", "WAT":
		default:
			out[k] = n
		}
	}
	return out
}

// in returns every request, reads included, on objects in namespace ns since the last reset.
func (c *requestCounter) in(ns string) map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, n := range c.counts {
		if strings.Contains(k, "/namespaces/"+ns+"/") {
			out[k] = n
		}
	}
	return out
}

func (c *requestCounter) reset() {
	c.mu.Lock()
	c.counts = nil
	c.mu.Unlock()
}

// reconcileAtRest lets the cache catch up with the last writes, then reconciles gwd three
// times with the request counter reset, for the caller to read what those reconciles sent.
func reconcileAtRest(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment) {
	t.Helper()
	time.Sleep(500 * time.Millisecond)
	requests.reset()
	for range 3 {
		_, err := reconciler.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(gwd)})
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	flag.Parse()
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(testing.Verbose())))
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set: run the tests with 'make test', which builds etcd and kube-apiserver")
		return 1
	}

	scheme := NewScheme()

	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting envtest: %v\n", err)
		// Start may fail after etcd and kube-apiserver are up (a CRD the server refuses):
		// stop them, or they outlive the test.
		_ = env.Stop()
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping envtest: %v\n", err)
		}
	}()

	testEnvConfig = cfg
	// The tests also read what Portico never does: events, the scale subresource, and what a
	// metrics scraper needs.
	testScheme := NewScheme()
	utilruntime.Must(eventsv1.AddToScheme(testScheme))
	utilruntime.Must(autoscalingv1.AddToScheme(testScheme))
	utilruntime.Must(rbacv1.AddToScheme(testScheme))
	utilruntime.Must(authenticationv1.AddToScheme(testScheme))
	k8s, err = client.NewWithWatch(cfg, client.Options{Scheme: testScheme})
	if err != nil {
		fmt.Fprintf(os.Stderr, "creating the test client: %v\n", err)
		return 1
	}

	// The metrics endpoint as the operator serves it: HTTPS, each scrape's token checked.
	metricsAddress, err := freeAddress()
	if err != nil {
		fmt.Fprintf(os.Stderr, "finding a port for the metrics endpoint: %v\n", err)
		return 1
	}
	metricsURL = "https://" + metricsAddress + "/metrics"
	deploymentSpecs := apply.NewDeploymentSpecs()
	mgrCfg := rest.CopyConfig(cfg)
	mgrCfg.Wrap(requests.wrap)
	mgr, err := ctrl.NewManager(mgrCfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: metricsAddress, SecureServing: true, FilterProvider: metricsauth.FilterProvider},
		HealthProbeBindAddress: "0",
		Cache:                  CacheOptions("", deploymentSpecs),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "creating the manager: %v\n", err)
		return 1
	}
	fakeKonnect, err = konnecttest.New(konnectToken)
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the Konnect test server: %v\n", err)
		return 1
	}
	defer fakeKonnect.Close()
	fakeKonnect.SetClock(testClock.Now)
	konnectHTTP := fakeKonnect.Client()
	konnectHTTP.Timeout = 2 * time.Second // short, so that a test can time a call out
	konnectHTTP.Transport = konnectCalls.wrap(konnectHTTP.Transport)
	reconciler = &GatewayDeploymentReconciler{
		DeploymentSpecs: deploymentSpecs,
		KonnectHTTP:     konnectHTTP,
		// The stand-in's host; a test names another one to be refused.
		KonnectAPIHosts: konnect.APIHosts{"127.0.0.1"},
		// A fifth of the operator's waits: the tests check what is waited for, not how long.
		KonnectTimings:      KonnectTimings{RetryBase: time.Second, RetryMax: time.Minute, CatchUpGap: time.Second, FailureHold: time.Second},
		StatusFold:          time.Second,
		ConflictRecheck:     time.Second,
		Client:              mgr.GetClient(),
		APIReader:           mgr.GetAPIReader(),
		Recorder:            mgr.GetEventRecorder("portico"),
		Clock:               testClock,
		DefaultImage:        testImage,
		Mesh:                capability.Istio(),
		Routes:              capability.OpenShiftRoutes(),
		SecurityConstraints: capability.SecurityContextConstraints(),
	}
	if err := reconciler.SetupWithManager(mgr, 4); err != nil {
		fmt.Fprintf(os.Stderr, "setting up the controller: %v\n", err)
		return 1
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintf(os.Stderr, "manager: %v\n", err)
		}
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		fmt.Fprintln(os.Stderr, "the manager's cache did not sync")
		return 1
	}
	return m.Run()
}

// installCRDs installs CRDs (an optional product arriving) into the suite's API server.
// freeAddress is a loopback address with a port nothing listens on now.
func freeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func installCRDs(t *testing.T, paths ...string) {
	t.Helper()
	_, err := envtest.InstallCRDs(testEnvConfig, envtest.CRDInstallOptions{Paths: paths, ErrorIfPathMissing: true})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
}

// newNamespace gives each test a namespace of its own, so tests never see each other's objects.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating a namespace: %v", err)
	}
	return ns.Name
}

const (
	timeout  = 15 * time.Second
	interval = 50 * time.Millisecond
)

func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }
