// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Command manager runs the Portico operator.
package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
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

// options are the operator's flags.
type options struct {
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
	zap                        zap.Options
}

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if limit, err := strconv.ParseInt(os.Getenv("CONTAINER_MEMORY_LIMIT"), 10, 64); err == nil && limit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(float64(limit) * memoryLimitShare))
	}
	o := parseFlags()
	if o.pprofAddr == "" {
		// Nothing would ever read the heap profile: do not sample for it. Its stack table
		// alone grows to about 1.5 MiB resident over a busy run.
		runtime.MemProfileRate = 0
	}
	ctrl.SetLogger(logr.New(lazylog.New(zap.New(zap.UseFlagOptions(&o.zap)).GetSink())))

	// The cache keeps Deployments without their spec, which Portico reads only to compare.
	deploymentSpecs := apply.NewDeploymentSpecs()
	mgr, err := newManager(o, deploymentSpecs)
	if err != nil {
		setupLog.Error(err, "creating the manager")
		os.Exit(1)
	}
	if err := setupControllers(mgr, o, deploymentSpecs); err != nil {
		setupLog.Error(err, "setting up the controllers")
		os.Exit(1)
	}
	if err := addChecks(mgr); err != nil {
		setupLog.Error(err, "adding the health and ready checks")
		os.Exit(1)
	}
	setupLog.Info("starting", "gatewayImage", gatewayImage(), "watchNamespace", o.watchNamespace)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		setupLog.Error(err, "running the manager")
		os.Exit(1)
	}
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", "0",
		"Address of the metrics endpoint, such as :8443; 0 turns it off.")
	flag.BoolVar(&o.secureMetrics, "metrics-secure", true,
		"Serve metrics over HTTPS, to callers the API server authenticates and authorises.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address of the health and ready probes.")
	flag.StringVar(&o.pprofAddr, "pprof-bind-address", "",
		"Address to serve Go's profiles (/debug/pprof/) on, such as 127.0.0.1:6060; empty turns them off. Unauthenticated: bind to localhost.")
	flag.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader, so that only one replica reconciles.")
	flag.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", os.Getenv("POD_NAMESPACE"),
		"Namespace of the leader-election Lease. Defaults to $POD_NAMESPACE, then to the service account's namespace.")
	flag.DurationVar(&o.leaseDuration, "leader-election-lease-duration", 15*time.Second,
		"How long a lost leader's lease blocks a new leader.")
	flag.DurationVar(&o.renewDeadline, "leader-election-renew-deadline", 10*time.Second,
		"How long the leader keeps trying to renew before it gives up leadership.")
	flag.DurationVar(&o.retryPeriod, "leader-election-retry-period", 2*time.Second,
		"How often candidates try to acquire or renew the lease.")
	flag.StringVar(&o.watchNamespace, "watch-namespace", os.Getenv("WATCH_NAMESPACE"),
		"Comma-separated namespaces to watch; empty watches all. Defaults to $WATCH_NAMESPACE.")
	flag.BoolVar(&o.enableHTTP2, "enable-http2", false, "Allow HTTP/2 on the metrics server.")
	flag.IntVar(&o.maxConcurrentReconciles, "max-concurrent-reconciles", 16,
		"GatewayDeployments reconciled in parallel; reconciles mostly wait on the API server.")
	flag.Float64Var(&o.kubeAPIQPS, "kube-api-qps", 200, "Client-side limit of API requests per second.")
	flag.IntVar(&o.kubeAPIBurst, "kube-api-burst", 400, "Client-side burst of API requests.")
	flag.BoolVar(&o.kubeAPICompression, "kube-api-compression", false,
		"Accept gzip-compressed answers and watch streams from the API server. Off by default: next to the API server the network is fast, and compression costs CPU on both sides (Kubernetes' own controllers turn it off too).")
	flag.StringVar(&o.konnectAPIHosts, "konnect-api-hosts", konnect.DefaultAPIHosts,
		"Comma-separated hosts (or *.domain patterns) that GatewayDeployments may name as spec.konnect.serverURL: Portico sends their Konnect tokens only there. Widen it for a private Konnect endpoint.")
	o.zap.BindFlags(flag.CommandLine)
	flag.Parse()
	return o
}

// gatewayImage is the Kong image gateways run unless their spec names one.
func gatewayImage() string {
	return cmp.Or(os.Getenv("RELATED_IMAGE_GATEWAY"), defaultGatewayImage)
}

func newManager(o options, deploymentSpecs *apply.DeploymentSpecs) (ctrl.Manager, error) {
	var tlsOpts []func(*tls.Config)
	if !o.enableHTTP2 {
		// HTTP/2 stream cancellation and rapid reset attacks: stay on HTTP/1.1 unless asked.
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOptions := metricsserver.Options{BindAddress: o.metricsAddr, SecureServing: o.secureMetrics, TLSOpts: tlsOpts}
	if o.secureMetrics {
		metricsOptions.FilterProvider = metricsauth.FilterProvider
	}
	restConfig := ctrl.GetConfigOrDie()
	restConfig.QPS = float32(o.kubeAPIQPS)
	restConfig.Burst = o.kubeAPIBurst
	restConfig.DisableCompression = !o.kubeAPICompression
	return ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                  controllers.NewScheme(),
		Metrics:                 metricsOptions,
		HealthProbeBindAddress:  o.probeAddr,
		PprofBindAddress:        o.pprofAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        "portico.gateway.portico.dev",
		LeaderElectionNamespace: o.leaderElectionNamespace,
		LeaseDuration:           &o.leaseDuration,
		RenewDeadline:           &o.renewDeadline,
		RetryPeriod:             &o.retryPeriod,
		// A new leader waits out the old lease anyway; releasing it on shutdown hands over at once.
		LeaderElectionReleaseOnCancel: true,
		Cache:                         controllers.CacheOptions(o.watchNamespace, deploymentSpecs),
	})
}

// setupControllers registers the GatewayDeployment reconciler and, when OLM installed the
// operator, the Upgradeable reporter.
func setupControllers(mgr ctrl.Manager, o options, deploymentSpecs *apply.DeploymentSpecs) error {
	apiHosts, err := konnect.ParseAPIHosts(o.konnectAPIHosts)
	if err != nil {
		return fmt.Errorf("reading --konnect-api-hosts: %w", err)
	}
	if err := (&controllers.GatewayDeploymentReconciler{
		DeploymentSpecs: deploymentSpecs,
		WatchNamespace:  o.watchNamespace,
		Client:          mgr.GetClient(),
		APIReader:       mgr.GetAPIReader(),
		Recorder:        mgr.GetEventRecorder("portico"),
		Clock:           clock.RealClock{},
		DefaultImage:    gatewayImage(),
		KonnectAPIHosts: apiHosts,
		// OLM puts the cluster proxy in the operator's env; the gateway pods get it too.
		ProxyEnv:            proxy.ReadProxyVarsFromEnv(),
		Mesh:                capability.Istio(),
		Routes:              capability.OpenShiftRoutes(),
		SecurityConstraints: capability.SecurityContextConstraints(),
	}).SetupWithManager(mgr, o.maxConcurrentReconciles); err != nil {
		return fmt.Errorf("the GatewayDeployment controller: %w", err)
	}
	reporter, err := olm.NewUpgradeableReporter(mgr)
	if err != nil {
		setupLog.Info("not reporting OLM's Upgradeable condition: not installed by OLM", "reason", err.Error())
		return nil
	}
	if err := reporter.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("the Upgradeable reporter: %w", err)
	}
	return nil
}

func addChecks(mgr ctrl.Manager) error {
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	// Ready once the informers have synced: before that the operator would act on a partial view.
	return mgr.AddReadyzCheck("readyz", func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), time.Second)
		defer cancel()
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return errors.New("the informer caches have not synced yet")
		}
		return nil
	})
}
