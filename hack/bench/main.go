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
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
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
	// contend runs a CPU-bound process beside the cluster for the whole bench (-contend).
	contend bool
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
	// storm is how long the bound's update storm took (stormAt).
	storm time.Duration
}

type operatorRun struct {
	run
	peakRSSKiB    int64
	peakAnonKiB   int64 // anonymous memory (heap, stacks), sampled
	peakFileKiB   int64 // pages of the binary and other files, sampled
	cpuSeconds    float64
	requests      map[string]float64 // by HTTP method, creation to all Ready
	restRequests  map[string]float64 // by HTTP method, during the rest period
	reconciles    map[string]float64 // by result, creation to all Ready
	restRVChanges int                // objects in the namespace whose resourceVersion changed at rest
	audited       map[string]float64 // by verb: the audit log's count of the operator's requests, creation to all Ready
	auditedRest   map[string]float64 // the same, at rest
	restart       restartFigures     // when the run ended by restarting the operator
	storm         stormFigures       // when the run ended with an update storm
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
	scale := flag.Bool("scale", false, "measure how cost grows instead (make bench-scale): floor, bound and Portico at each -n (default 500,2000,5000), the memory run at each -scale-memory, one pair each; writes docs/benchmarks/scale/")
	flag.BoolVar(&contend, "contend", false, "run a CPU-bound process beside the cluster for the whole bench: the API server contended for CPU, as on a slow cluster")
	storm := flag.Int("storm", 1000, "with -scale: the number of Ready gateways whose image changes all at once, for Portico and the bound (0: skip)")
	konnectN := flag.Int("konnect", 500, "with -scale: the number of gateways registered to one Konnect control plane (the stand-in), for its nodes polls per interval (0: skip)")
	scaleMemory := flag.String("scale-memory", "1000,5000,10000", "with -scale: the numbers of GatewayDeployments of the memory runs")
	hostile := flag.Int("hostile", 0, "also run N=hostile GatewayDeployments at every maximum of the spec (as a hostile tenant would write them), for peak RSS (0: skip)")
	flag.IntVar(&envBytes, "hostile-env-bytes", 4<<10, "the length of each of the 128 env values in -hostile specs (at 4 KiB, the bench's own list of 1,000 gateways times out)")
	flag.StringVar(&memoryLimitOverride, "operator-memory-limit", "", "the memory limit the operator is told of (its GOMEMLIMIT is 80 % of it), such as 320Mi; empty: config/manager's")
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
	if contend {
		defer contendCPU()()
	}
	if *scale {
		sizesGiven := false
		flag.Visit(func(f *flag.Flag) { sizesGiven = sizesGiven || f.Name == "n" })
		if !sizesGiven {
			*sizes = "500,2000,5000"
		}
		growth(filepath.Join(*out, "scale"), manager, numbers(*sizes), numbers(*scaleMemory), *storm, *konnectN)
		return
	}

	var report strings.Builder
	header(&report, *sizes, *rest, *memory, *pairs)
	plots := map[int][3]run{}
	var audits, waits, pairLines strings.Builder
	for field := range strings.SplitSeq(*sizes, ",") {
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
		must(readyOverTime(filepath.Join(*out, name), n, runs[0], runs[1], runs[2]), "plotting")
		fmt.Fprintf(&report, "\n![Gateways Ready over time, N=%d: the floor, the bound and Portico](%s)\n", n, name)
	}
	must(os.WriteFile(filepath.Join(*out, "README.md"), []byte(report.String()), 0o644), "writing the report")
	fmt.Print(report.String())
}

// numbers reads a comma-separated list of numbers.
func numbers(list string) []int {
	var out []int
	for field := range strings.SplitSeq(list, ",") {
		if field = strings.TrimSpace(field); field != "" {
			n, err := strconv.Atoi(field)
			must(err, "parsing "+list)
			out = append(out, n)
		}
	}
	return out
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
