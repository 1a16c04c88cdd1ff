// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot/plotter"
)

// point is one N's figures in the growth curve.
type point struct {
	n                   int
	floor, bound        run
	op                  operatorRun
	requestsPerGateway  float64
	cpuPerThousand      float64
	peakRSSMiB          float64
	ratioToBound        float64
	firstReady, allDone float64
}

// growthReport holds the figures of a -scale run so far.
type growthReport struct {
	points      []point
	memorySizes []int
	memory      map[int]float64 // peak RSS in MiB, by N
	// stormN gateways changed image at once: how long the bound took, and Portico.
	stormN     int
	stormBound time.Duration
	storm      *stormFigures
	konnect    *konnectFigures
}

// growth measures how the cost grows with N (-scale): the floor, the bound and Portico once
// each at every size, an update storm of stormN gateways, and the operator's peak RSS at
// every memory size; it writes the table and the log-scale plots under out.
func growth(out, manager string, sizes, memorySizes []int, stormN, konnectN int) {
	must(os.MkdirAll(out, 0o755), "creating "+out)
	largest := 0
	for _, n := range append(append([]int{}, sizes...), memorySizes...) {
		largest = max(largest, n)
	}
	nodes = max(nodes, largest/1000+1)
	// The largest growth size's Portico run ends by restarting the operator in front of its
	// gateways.
	largestGrowth := 0
	for _, n := range sizes {
		largestGrowth = max(largestGrowth, n)
	}
	g := &growthReport{memorySizes: memorySizes, memory: map[int]float64{}, stormN: stormN}
	for _, n := range sizes {
		fmt.Fprintf(os.Stderr, "bench: scale N=%d floor\n", n)
		p := point{n: n, floor: floorRun(n)}
		fmt.Fprintf(os.Stderr, "bench: scale N=%d bound\n", n)
		p.bound = boundRun(n)
		fmt.Fprintf(os.Stderr, "bench: scale N=%d Portico\n", n)
		if n == largestGrowth {
			restartAt = n
		}
		p.op = portico(n, manager, 0, 0)
		restartAt = 0
		p.requestsPerGateway = nonWatch(p.op.audited) / float64(n)
		p.cpuPerThousand = p.op.cpuSeconds / float64(n) * 1000
		p.peakRSSMiB = float64(p.op.peakRSSKiB) / 1024
		p.ratioToBound = p.op.total.Seconds() / p.bound.total.Seconds()
		p.firstReady, p.allDone = p.op.firstReady.Seconds(), p.op.total.Seconds()
		g.points = append(g.points, p)
		// Written after each size, so that a run stopped early still leaves its figures.
		writeGrowth(out, g)
	}
	if stormN > 0 {
		stormAt = stormN
		fmt.Fprintf(os.Stderr, "bench: scale storm of %d, bound\n", stormN)
		g.stormBound = boundRun(stormN).storm
		fmt.Fprintf(os.Stderr, "bench: scale storm of %d, Portico\n", stormN)
		figures := portico(stormN, manager, 0, 0).storm
		g.storm = &figures
		stormAt = 0
		writeGrowth(out, g)
	}
	if konnectN > 0 {
		fmt.Fprintf(os.Stderr, "bench: scale Konnect, %d gateways on one control plane\n", konnectN)
		figures := konnectPolls(manager, konnectN)
		g.konnect = &figures
		writeGrowth(out, g)
	}
	for _, n := range memorySizes {
		fmt.Fprintf(os.Stderr, "bench: scale memory N=%d\n", n)
		g.memory[n] = float64(portico(n, manager, 0, 0).peakRSSKiB) / 1024
		writeGrowth(out, g)
	}
	cluster("down")
}

// writeGrowth writes the growth report and its plots from the figures so far.
func writeGrowth(out string, g *growthReport) {
	points, memory, memorySizes := g.points, g.memory, g.memorySizes
	var b strings.Builder
	fmt.Fprintf(&b, "# How Portico's cost grows (make bench-scale)\n\n%s, on this machine (%s). One run of each kind per N, each on a fresh local cluster of %d nodes; the bound is the least any operator could ask of the API server (the bench creates each gateway and its two children and writes one status), the floor a bare client creating the children alone.\n\n",
		commit, machine(), nodes)
	b.WriteString("| N | floor | bound | Portico, all Ready | ratio to the bound | first Ready | requests per gateway | operator CPU per 1,000 gateways | peak RSS |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, p := range points {
		fmt.Fprintf(&b, "| %d | %.1f s | %.1f s | %.1f s | %.2f | %.2f s | %.2f | %.1f s | %.0f MiB |\n",
			p.n, p.floor.total.Seconds(), p.bound.total.Seconds(), p.allDone, p.ratioToBound, p.firstReady, p.requestsPerGateway, p.cpuPerThousand, p.peakRSSMiB)
	}
	for _, p := range points {
		if r := p.op.restart; r.rejudged > 0 {
			fmt.Fprintf(&b, "\n**Restart in front of %d Ready gateways** (the operator killed, started again): every gateway reconciled %.1f s after the start, "+
				"against %.1f s for the API server to list and send the cached kinds to a bare client (%.2f×; target 1.2×); idle at %.1f s; "+
				"requests %s, of which %.0f writes (target 0); peak RSS %.0f MiB.\n",
				p.n, r.rejudged.Seconds(), r.lists.Seconds(), r.rejudged.Seconds()/r.lists.Seconds(), r.idle.Seconds(),
				byMethod(r.requests), r.writes, float64(r.peakRSSKiB)/1024)
			fmt.Fprintf(&b, "\n**Leader hand-over in front of %d Ready gateways** (two replicas, --leader-elect): the standby's first reconcile came %.1f s after the leader stopped (it releases its lease) "+
				"and %.1f s after it was killed (its lease, 15 s by default, had to expire).\n", p.n, r.handOver.graceful.Seconds(), r.handOver.crashed.Seconds())
		}
	}
	if g.storm != nil {
		fmt.Fprintf(&b, "\n**Update storm of %d Ready gateways** (spec.image of every one patched, %d at a time): every gateway reported its new generation rolled out and Ready "+
			"%.1f s after the first patch, against %.1f s for the bound (the bench patches each gateway and its Deployment and writes one status; %.2f×); "+
			"gateways seen with Ready other than True while rolling, by a watch: %d (target 0); the operator's requests %s (%.2f writes per gateway).\n",
			g.stormN, parallel, g.storm.done.Seconds(), g.stormBound.Seconds(), g.storm.done.Seconds()/g.stormBound.Seconds(),
			g.storm.notReady, byMethod(g.storm.requests), writes(g.storm.requests)/float64(g.stormN))
	}
	if k := g.konnect; k != nil {
		fmt.Fprintf(&b, "\n**%d gateways registered to one Konnect control plane with one token** (the stand-in, internal/konnect/konnecttest, in the bench's process; spec.konnect.pollInterval %s): "+
			"all registered %.1f s after the first create; then %.1f nodes polls per interval over %d intervals (target 1; one poll per gateway would be %d); %d contract violations.\n",
			k.n, k.interval, k.registered.Seconds(), k.polls, pollWindow, k.n, k.violations)
	}
	limitNote := ""
	if memoryLimitOverride != "" {
		limitNote = fmt.Sprintf("; the operator told of a memory limit of %s instead of the shipped one, GOMEMLIMIT 80 %% of it", memoryLimitOverride)
	}
	fmt.Fprintf(&b, "\nPeak RSS of the operator (its memory run: N gateways created, all Ready%s):\n\n| N | peak RSS |\n|---|---|\n", limitNote)
	var memoryPoints plotter.XYs
	for _, n := range memorySizes {
		if peak, ok := memory[n]; ok {
			fmt.Fprintf(&b, "| %d | %.0f MiB |\n", n, peak)
			memoryPoints = append(memoryPoints, plotter.XY{X: float64(n), Y: peak})
		}
	}
	var floorTimes, boundTimes, operatorTimes plotter.XYs
	for _, p := range points {
		floorTimes = append(floorTimes, plotter.XY{X: float64(p.n), Y: p.floor.total.Seconds()})
		boundTimes = append(boundTimes, plotter.XY{X: float64(p.n), Y: p.bound.total.Seconds()})
		operatorTimes = append(operatorTimes, plotter.XY{X: float64(p.n), Y: p.allDone})
		memoryPoints = append(memoryPoints, plotter.XY{X: float64(p.n), Y: p.peakRSSMiB})
		name := fmt.Sprintf("ready-over-time-n%d.png", p.n)
		must(readyOverTime(filepath.Join(out, name), p.n, p.floor, p.op.run, p.bound), "plotting")
	}
	// Curves need two sizes; the report and the Ready-over-time plots come with each.
	if len(points) >= 2 {
		must(chart{title: "Time until every gateway is Ready, against N (" + commit + ")",
			x: "GatewayDeployments (N, log scale)", y: "time until all Ready (s, log scale)", logX: true, logY: true}.draw(
			filepath.Join(out, "time-against-n.png"),
			series{"floor", floorColour, floorTimes}, series{"bound", boundColour, boundTimes}, series{"Portico", operatorColour, operatorTimes}), "plotting")
		memoryPoints = sortedByX(memoryPoints)
		limit := plotter.XYs{{X: memoryPoints[0].X, Y: 128}, {X: memoryPoints[len(memoryPoints)-1].X, Y: 128}}
		must(chart{title: "Operator peak RSS against N (" + commit + ")",
			x: "GatewayDeployments (N, log scale)", y: "peak RSS (MiB)", logX: true}.draw(
			filepath.Join(out, "memory-against-n.png"),
			series{"Portico's peak RSS", operatorColour, memoryPoints}, series{"shipped limit (128 Mi)", boundColour, limit}), "plotting")
		b.WriteString("\n![Time until every gateway is Ready against N, log scales](time-against-n.png)\n\n![Operator peak RSS against N](memory-against-n.png)\n")
	}
	for _, p := range points {
		fmt.Fprintf(&b, "\n![Gateways Ready over time, N=%d](ready-over-time-n%d.png)\n", p.n, p.n)
	}
	must(os.WriteFile(filepath.Join(out, "README.md"), []byte(b.String()), 0o644), "writing the report")
	fmt.Fprint(os.Stderr, b.String())
}

func byMethod(counts map[string]float64) string {
	var parts []string
	for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if counts[method] > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f", method, counts[method]))
		}
	}
	return strings.Join(parts, ", ")
}

// nonWatch sums request counts by verb, watches left out (opened once, not per gateway).
func nonWatch(byVerb map[string]float64) float64 {
	total := 0.0
	for verb, n := range byVerb {
		if verb != "watch" {
			total += n
		}
	}
	return total
}

func sortedByX(xys plotter.XYs) plotter.XYs {
	out := slices.Clone(xys)
	slices.SortFunc(out, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
	return out
}
