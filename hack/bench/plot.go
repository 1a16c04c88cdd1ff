// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"image/color"
	"math"
	"os/exec"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The colours of the three kinds of run, in every plot.
var (
	floorColour    = color.RGBA{140, 140, 140, 255}
	boundColour    = color.RGBA{230, 140, 30, 255}
	operatorColour = color.RGBA{31, 78, 121, 255}
)

// commit names the checkout the bench measured, for the reports and the plots' titles.
var commit = func() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown commit"
	}
	name := "commit " + strings.TrimSpace(string(out))
	// The reports themselves are about to change: only the code counts.
	if dirty, _ := exec.Command("git", "status", "--porcelain", "--", ".", ":!docs/benchmarks").Output(); len(dirty) > 0 {
		name += " with uncommitted changes"
	}
	return name
}()

// series is one line of a plot: its legend entry, its colour and its points.
type series struct {
	name   string
	colour color.Color
	points plotter.XYs
}

// chart is what a plot says of itself beside its lines.
type chart struct {
	title, x, y string
	logX, logY  bool
}

// draw writes a PNG of the lines, with title, labelled axes and a legend.
func (c chart) draw(path string, lines ...series) error {
	p := plot.New()
	p.Title.Text = c.title
	p.X.Label.Text, p.Y.Label.Text = c.x, c.y
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	p.X.Tick.Marker, p.Y.Tick.Marker = plainTicks{}, plainTicks{}
	if c.logX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, readableLogTicks{}
	}
	if c.logY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, readableLogTicks{}
	}
	for _, s := range lines {
		if len(s.points) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(s.points)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		line.Color, line.Width = s.colour, vg.Points(1.5)
		points.Color, points.Shape, points.Radius = s.colour, draw.CircleGlyph{}, vg.Points(1.5)
		if len(s.points) > 40 {
			points.Radius = 0 // a timeline: the line alone
		}
		p.Add(line, points)
		p.Legend.Add(s.name, line)
	}
	return p.Save(8*vg.Inch, 4.5*vg.Inch, path)
}

// readableLogTicks labels 1, 2 and 5 times each power of ten on a log axis, so that a reader
// can read values between the decades.
type readableLogTicks struct{}

func (readableLogTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for decade := math.Pow(10, math.Floor(math.Log10(lo))); decade <= hi; decade *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if v := m * decade; v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
			}
		}
	}
	return ticks
}

// plainTicks are gonum's default ticks labelled as plain numbers ("2500", not "2500.00").
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', -1, 64)
		}
	}
	return ticks
}

// readyOverTime plots how many gateways were Ready over time in each run of one N.
func readyOverTime(path string, n int, floor, operator, bound run) error {
	timeline := func(r run) plotter.XYs {
		xys := make(plotter.XYs, 0, len(r.timeline))
		for _, s := range r.timeline {
			xys = append(xys, plotter.XY{X: s.at.Seconds(), Y: float64(s.ready)})
		}
		return xys
	}
	return chart{
		title: fmt.Sprintf("Gateways Ready over time, N=%d (%s)", n, commit),
		x:     "time since the first create (s)",
		y:     "Ready (gateways; Deployments available for the floor)",
	}.draw(path,
		series{"floor: a bare client creates the children", floorColour, timeline(floor)},
		series{"bound: the least any operator could ask", boundColour, timeline(bound)},
		series{"Portico", operatorColour, timeline(operator)})
}
