// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// restartFigures are what an operator restart in front of N Ready gateways cost.
type restartFigures struct {
	// rejudged is from the new process's start until it reconciled every gateway once;
	// idle until its requests stopped.
	rejudged, idle time.Duration
	// lists is how long the API server takes to list and send the kinds the operator caches,
	// all at once, to a bare client: the floor for rejudged.
	lists time.Duration
	// requests by HTTP method, start to idle; writes are those not GET.
	requests   map[string]float64
	writes     float64
	peakRSSKiB int64
}

// measureRestart kills the operator (old) in front of n Ready gateways and starts it again
// with args, and measures the new one until it is idle.
func measureRestart(c client.Client, manager, kubeconfig string, n int, old *exec.Cmd) restartFigures {
	var r restartFigures
	r.lists = listTime(c)
	_ = old.Process.Kill()
	_, _ = old.Process.Wait()

	metricsAddr, probeAddr := freePort(), freePort()
	cmd := exec.Command(manager, "--metrics-bind-address="+metricsAddr, "--metrics-secure=false", "--health-probe-bind-address="+probeAddr)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "CONTAINER_MEMORY_LIMIT="+shippedMemoryLimit())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logFile, err := os.Create(filepath.Join(os.TempDir(), "portico-bench-restarted.log"))
	must(err, "creating the restarted operator's log")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	must(cmd.Start(), "starting the operator again")
	defer func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() }()
	waitHTTP("http://" + metricsAddr + "/metrics")
	for r.rejudged == 0 {
		if sum(reconciles(metricsAddr)) >= float64(n) {
			r.rejudged = time.Since(start)
		}
		if time.Since(start) > 10*time.Minute {
			fail(fmt.Errorf("the restarted operator did not reconcile %d gateways in 10 minutes", n))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Idle: no request for 5 s.
	last, lastChange := sum(requests(metricsAddr)), time.Now()
	for time.Since(lastChange) < 5*time.Second {
		time.Sleep(500 * time.Millisecond)
		if now := sum(requests(metricsAddr)); now != last {
			last, lastChange = now, time.Now()
		}
	}
	r.idle = lastChange.Sub(start)
	r.requests = requests(metricsAddr)
	r.writes = writes(r.requests)
	r.peakRSSKiB = peakRSS(cmd.Process.Pid)
	fmt.Fprintf(os.Stderr, "bench: restart in front of %d gateways: every one reconciled %.1f s after start (lists alone %.1f s), idle at %.1f s, requests %v, peak RSS %d KiB\n",
		n, r.rejudged.Seconds(), r.lists.Seconds(), r.idle.Seconds(), r.requests, r.peakRSSKiB)
	return r
}

// listTime is how long listing every kind the operator caches takes, the lists side by side
// as the operator's informers make them.
func listTime(c client.Client) time.Duration {
	lists := []client.ObjectList{&gatewayv1alpha1.GatewayDeploymentList{}, &appsv1.DeploymentList{}, &corev1.ServiceList{},
		&corev1.PodList{}, &corev1.SecretList{}, &corev1.ConfigMapList{}}
	start := time.Now()
	var wg sync.WaitGroup
	for _, list := range lists {
		wg.Go(func() { must(c.List(context.Background(), list), "listing what the operator caches") })
	}
	wg.Wait()
	return time.Since(start)
}
