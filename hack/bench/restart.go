// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
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
	handOver   handOverFigures
}

// measureRestart kills the operator (old) in front of n Ready gateways and starts it again
// with args, and measures the new one until it is idle.
func measureRestart(c client.Client, manager, kubeconfig string, n int, old *exec.Cmd) restartFigures {
	var r restartFigures
	r.lists = listTime(c)
	_ = old.Process.Kill()
	_, _ = old.Process.Wait()

	start := time.Now()
	op := startOperator(manager, kubeconfig, "restarted")
	defer op.stop()
	metricsAddr := op.metricsAddr
	profiled := profileCPU(http.DefaultClient, "http://"+op.pprofAddr, fmt.Sprintf("operator-restart-n%d", n))
	defer profiled()
	waitReconciled(metricsAddr, n)
	r.rejudged = time.Since(start)
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
	r.peakRSSKiB = peakRSS(op.cmd.Process.Pid)
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

// handOverFigures are how long a standby replica took to take over from a leader that ended.
type handOverFigures struct {
	// graceful: the leader stopped (SIGTERM) and released its lease; crashed: it was killed
	// (SIGKILL) and its lease had to expire. Each from the old leader's end to the new
	// one's first reconcile.
	graceful, crashed time.Duration
}

// measureHandOver runs two replicas with leader election in front of n Ready gateways and
// ends the leader twice: once stopped, once killed.
func measureHandOver(manager, kubeconfig string, n int) handOverFigures {
	var h handOverFigures
	elect := []string{"--leader-elect", "--leader-election-namespace=" + namespace}
	leader := startOperator(manager, kubeconfig, "leader", elect...)
	waitReconciled(leader.metricsAddr, 1)
	for i, signal := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		standby := startOperator(manager, kubeconfig, fmt.Sprintf("standby-%d", i), elect...)
		// A standby's caches fill while it waits for the lease; give them time to.
		time.Sleep(10 * time.Second)
		if sum(reconciles(standby.metricsAddr)) > 0 {
			fail(fmt.Errorf("the standby reconciled while the leader held the lease"))
		}
		ended := time.Now()
		_ = leader.cmd.Process.Signal(signal)
		_, _ = leader.cmd.Process.Wait()
		waitReconciled(standby.metricsAddr, 1)
		took := time.Since(ended)
		if signal == syscall.SIGTERM {
			h.graceful = took
		} else {
			h.crashed = took
		}
		leader = standby
	}
	leader.stop()
	fmt.Fprintf(os.Stderr, "bench: hand-over in front of %d gateways: %.1f s after a stop, %.1f s after a kill\n", n, h.graceful.Seconds(), h.crashed.Seconds())
	return h
}

// waitReconciled waits until the operator serving metricsAddr has reconciled n times. It
// looks every 250 ms: a scrape's cost grows with the gateways, and at 50 ms the scrapes took
// a sixth of the restarted operator's CPU.
func waitReconciled(metricsAddr string, n int) {
	for deadline := time.Now().Add(5 * time.Minute); sum(reconciles(metricsAddr)) < float64(n); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			fail(fmt.Errorf("the operator at %s did not reconcile %d times in 5 minutes", metricsAddr, n))
		}
	}
}
