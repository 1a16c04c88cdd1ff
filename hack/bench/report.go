// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

// configCheckTable reports what checking a configuration at the size limit costs the reconcile
// that meets a new version of it (checks, mesh view, content hash): BenchmarkCheck1MiB, three
// times. At rest nothing is checked again (an envtest counts the requests: none).
func configCheckTable(b *strings.Builder) {
	fmt.Fprintln(os.Stderr, "bench: checking a 1 MiB configuration")
	out, err := exec.Command("go", "test", "-run", "^$", "-bench", "Check1MiB", "-benchtime", "10x", "-count", "3",
		"./internal/kongconfig").CombinedOutput()
	must(err, "benchmarking the configuration check: "+string(out))
	b.WriteString("\nChecking a Kong configuration of 1 MiB (the most Portico takes), once per new version (go test -bench Check1MiB ./internal/kongconfig):\n\n```\n")
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.HasPrefix(line, "Benchmark") {
			b.WriteString(line + "\n")
		}
	}
	b.WriteString("```\n")
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

// machine says when and on what the bench ran.
func machine() string {
	cpu := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(raw), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores (%s), %s/%s", time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), cpu, runtime.GOOS, runtime.GOARCH)
}

func header(b *strings.Builder, sizes string, rest time.Duration, memory, pairs int) {
	fmt.Fprintf(b, "# Portico benchmark\n\n%s, %s.\n\n", machine(), commit)
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
	if contend {
		command += " -contend"
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
	total := nonWatch(op.audited)
	var methods []string
	for m, v := range op.audited {
		if m != "watch" {
			methods = append(methods, fmt.Sprintf("%s %.0f", m, v))
		}
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

// memoryLimitOverride is -operator-memory-limit: the memory limit the operator is told of
// instead of the shipped one ("" for the shipped one).
var memoryLimitOverride string

// operatorMemoryLimit is the memory limit, in bytes, the operators the bench starts are told
// of (CONTAINER_MEMORY_LIMIT): -operator-memory-limit, or the shipped one.
func operatorMemoryLimit() string {
	if memoryLimitOverride != "" {
		q, err := resource.ParseQuantity(memoryLimitOverride)
		must(err, "parsing -operator-memory-limit")
		return strconv.FormatInt(q.Value(), 10)
	}
	return shippedMemoryLimit()
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
