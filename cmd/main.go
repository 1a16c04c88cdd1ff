// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Command manager runs the Portico operator.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/go-logr/logr"
	"github.com/operator-framework/operator-lib/proxy"
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/portico-dev/portico/controllers"
	"github.com/portico-dev/portico/controllers/olm"
	"github.com/portico-dev/portico/internal/apply"
	"github.com/portico-dev/portico/internal/capability"
	"github.com/portico-dev/portico/internal/konnect"
	"github.com/portico-dev/portico/internal/lazylog"
	"github.com/portico-dev/portico/internal/metricsauth"
)

// defaultGatewayImage is used when RELATED_IMAGE_GATEWAY is not set.
const defaultGatewayImage = "kong/kong-gateway:3.11"

var setupLog = ctrl.Log.WithName("setup")

// gcPercent is the garbage collector's target unless GOGC says otherwise: the operator's live
// heap is small next to what a burst of reconciles allocates, and at Go's default of 100 the
// heap may double before a collection. At 1,000 gateways 25 measured 58 MiB of peak RSS
// against 64 at 50, for about a third more of the operator's CPU while gateways are created
// (1 CPU second more for 500); at rest it costs nothing (docs/benchmarks).
const gcPercent = 25

// memoryLimitShare is the part of the container's memory limit (CONTAINER_MEMORY_LIMIT, in
// bytes) the Go runtime keeps within unless GOMEMLIMIT says otherwise: near it the collector
// runs sooner, so that a burst of large objects is collected rather than killed. The rest is
// for what the runtime does not count, such as the binary's mapped pages.
const memoryLimitShare = 0.8

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if limit, err := strconv.ParseInt(os.Getenv("CONTAINER_MEMORY_LIMIT"), 10, 64); err == nil && limit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(float64(limit) * memoryLimitShare))
	}
	var (
		metricsAddr, probeAddr     string
		pprofAddr                  string
		leaderElect, secureMetrics bool
		enableHTTP2                bool
		leaderElectionNamespace    string
		watchNamespace             string
		konnectAPIHosts            string
		maxConcurrentReconciles    int
		kubeAPIQPS                 float64
		kubeAPIBurst               int
		kubeAPICompression         bool
		leaseDuration              time.Duration
		renewDeadline              time.Duration
		retryPeriod                time.Duration
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", "0",
		"Address of the metrics endpoint, such as :8443; 0 turns it off.")
	flag.BoolVar(&secureMetrics, "metrics-secure", true,
		"Serve metrics over HTTPS, to callers the API server authenticates and authorises.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "Address of the health and ready probes.")
	flag.StringVar(&pprofAddr, "pprof-bind-address", "",
		"Address to serve Go's profiles (/debug/pprof/) on, such as 127.0.0.1:6060; empty turns them off. Unauthenticated: bind to localhost.")
	flag.BoolVar(&leaderElect, "leader-elect", false, "Elect a leader, so that only one replica reconciles.")
	flag.StringVar(&leaderElectionNamespace, "leader-election-namespace", os.Getenv("POD_NAMESPACE"),
		"Namespace of the leader-election Lease. Defaults to $POD_NAMESPACE, then to the service account's namespace.")
	flag.DurationVar(&leaseDuration, "leader-election-lease-duration", 15*time.Second,
		"How long a lost leader's lease blocks a new leader.")
	flag.DurationVar(&renewDeadline, "leader-election-renew-deadline", 10*time.Second,
		"How long the leader keeps trying to renew before it gives up leadership.")
	flag.DurationVar(&retryPeriod, "leader-election-retry-period", 2*time.Second,
		"How often candidates try to acquire or renew the lease.")
	flag.StringVar(&watchNamespace, "watch-namespace", os.Getenv("WATCH_NAMESPACE"),
		"Comma-separated namespaces to watch; empty watches all. Defaults to $WATCH_NAMESPACE.")
	flag.BoolVar(&enableHTTP2, "enable-http2", false, "Allow HTTP/2 on the metrics server.")
	flag.IntVar(&maxConcurrentReconciles, "max-concurrent-reconciles", 16,
		"GatewayDeployments reconciled in parallel; reconciles mostly wait on the API server.")
	flag.Float64Var(&kubeAPIQPS, "kube-api-qps", 200, "Client-side limit of API requests per second.")
	flag.IntVar(&kubeAPIBurst, "kube-api-burst", 400, "Client-side burst of API requests.")
	flag.BoolVar(&kubeAPICompression, "kube-api-compression", false,
		"Accept gzip-compressed answers and watch streams from the API server. Off by default: next to the API server the network is fast, and compression costs CPU on both sides (Kubernetes' own controllers turn it off too).")
	flag.StringVar(&konnectAPIHosts, "konnect-api-hosts", konnect.DefaultAPIHosts,
		"Comma-separated hosts (or *.domain patterns) that GatewayDeployments may name as spec.konnect.serverURL: Portico sends their Konnect tokens only there. Widen it for a private Konnect endpoint.")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	if pprofAddr == "" {
		// Nothing would ever read the heap profile: do not sample for it. Its stack table
		// alone grows to about 1.5 MiB resident over a busy run.
		runtime.MemProfileRate = 0
	}
	ctrl.SetLogger(logr.New(lazylog.New(zap.New(zap.UseFlagOptions(&opts)).GetSink())))

	apiHosts, err := konnect.ParseAPIHosts(konnectAPIHosts)
	if err != nil {
		setupLog.Error(err, "reading --konnect-api-hosts")
		os.Exit(1)
	}

	gatewayImage := os.Getenv("RELATED_IMAGE_GATEWAY")
	if gatewayImage == "" {
		gatewayImage = defaultGatewayImage
	}

	var tlsOpts []func(*tls.Config)
	if !enableHTTP2 {
		// HTTP/2 stream cancellation and rapid reset attacks: stay on HTTP/1.1 unless asked.
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOptions := metricsserver.Options{BindAddress: metricsAddr, SecureServing: secureMetrics, TLSOpts: tlsOpts}
	if secureMetrics {
		metricsOptions.FilterProvider = metricsauth.FilterProvider
	}

	// The cache keeps Deployments without their spec, which Portico reads only to compare.
	deploymentSpecs := apply.NewDeploymentSpecs()
	restConfig := ctrl.GetConfigOrDie()
	restConfig.QPS = float32(kubeAPIQPS)
	restConfig.Burst = kubeAPIBurst
	restConfig.DisableCompression = !kubeAPICompression

	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                  controllers.NewScheme(),
		Metrics:                 metricsOptions,
		HealthProbeBindAddress:  probeAddr,
		PprofBindAddress:        pprofAddr,
		LeaderElection:          leaderElect,
		LeaderElectionID:        "portico.gateway.portico.dev",
		LeaderElectionNamespace: leaderElectionNamespace,
		LeaseDuration:           &leaseDuration,
		RenewDeadline:           &renewDeadline,
		RetryPeriod:             &retryPeriod,
		// A new leader waits out the old lease anyway; releasing it on shutdown hands over at once.
		LeaderElectionReleaseOnCancel: true,
		Cache:                         controllers.CacheOptions(watchNamespace, deploymentSpecs),
	})
	if err != nil {
		setupLog.Error(err, "creating the manager")
		os.Exit(1)
	}

	if err := (&controllers.GatewayDeploymentReconciler{
		DeploymentSpecs: deploymentSpecs,
		WatchNamespace:  watchNamespace,
		Client:          mgr.GetClient(),
		APIReader:       mgr.GetAPIReader(),
		Recorder:        mgr.GetEventRecorder("portico"),
		Clock:           clock.RealClock{},
		DefaultImage:    gatewayImage,
		KonnectAPIHosts: apiHosts,
		// OLM puts the cluster proxy in the operator's env; the gateway pods get it too.
		ProxyEnv:            proxy.ReadProxyVarsFromEnv(),
		Mesh:                capability.Istio(),
		Routes:              capability.OpenShiftRoutes(),
		SecurityConstraints: capability.SecurityContextConstraints(),
	}).SetupWithManager(mgr, maxConcurrentReconciles); err != nil {
		setupLog.Error(err, "setting up the GatewayDeployment controller")
		os.Exit(1)
	}
	if reporter, err := olm.NewUpgradeableReporter(mgr); err != nil {
		setupLog.Info("not reporting OLM's Upgradeable condition: not installed by OLM", "reason", err.Error())
	} else if err := reporter.SetupWithManager(mgr); err != nil {
		setupLog.Error(err, "setting up the Upgradeable reporter")
		os.Exit(1)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		setupLog.Error(err, "adding the health check")
		os.Exit(1)
	}
	// Ready once the informers have synced: before that the operator would act on a partial view.
	if err := mgr.AddReadyzCheck("readyz", func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), time.Second)
		defer cancel()
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return errors.New("the informer caches have not synced yet")
		}
		return nil
	}); err != nil {
		setupLog.Error(err, "adding the ready check")
		os.Exit(1)
	}

	setupLog.Info("starting", "gatewayImage", gatewayImage, "watchNamespace", watchNamespace)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		setupLog.Error(err, "running the manager")
		os.Exit(1)
	}
}
