// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

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
	for line := range strings.SplitSeq(string(raw), "\n") {
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

// contendCPU starts a process that spins on one core until the returned func stops it (or the
// bench ends): the cluster then shares two cores with it, as a busy node would.
func contendCPU() (stop func()) {
	cmd := exec.Command("sh", "-c", "while :; do :; done")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	must(cmd.Start(), "starting the CPU-bound process")
	return func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() }
}
