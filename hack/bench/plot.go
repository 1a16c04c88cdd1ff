// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"time"
)

// plot draws the Ready count over time of the floor (grey), Portico (blue) and, when it ran,
// the least any operator could do (orange) on common axes: time from 0 to the slowest run's
// end, count from 0 to N.
func plot(path string, floor, operator, bound run) error {
	const w, h, margin = 800, 400, 40
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	white := color.RGBA{255, 255, 255, 255}
	for x := range w {
		for y := range h {
			img.Set(x, y, white)
		}
	}
	axis := color.RGBA{0, 0, 0, 255}
	for x := margin; x < w-margin; x++ {
		img.Set(x, h-margin, axis)
	}
	for y := margin; y <= h-margin; y++ {
		img.Set(margin, y, axis)
	}
	end := max(floor.total, operator.total, bound.total)
	n := 1
	for _, r := range []run{floor, operator, bound} {
		if len(r.timeline) > 0 {
			n = max(n, r.timeline[len(r.timeline)-1].ready)
		}
	}
	point := func(at time.Duration, ready int) (int, int) {
		x := margin + int(float64(w-2*margin)*at.Seconds()/max(end.Seconds(), 0.001))
		y := h - margin - int(float64(h-2*margin)*float64(ready)/float64(n))
		return x, y
	}
	for _, series := range []struct {
		r run
		c color.RGBA
	}{{floor, color.RGBA{150, 150, 150, 255}}, {bound, color.RGBA{230, 140, 30, 255}}, {operator, color.RGBA{31, 78, 121, 255}}} {
		for i := 1; i < len(series.r.timeline); i++ {
			x0, y0 := point(series.r.timeline[i-1].at, series.r.timeline[i-1].ready)
			x1, y1 := point(series.r.timeline[i].at, series.r.timeline[i].ready)
			line(img, x0, y0, x1, y1, series.c)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return png.Encode(f, img)
}

// line draws a two-pixel line (Bresenham).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.Set(x0, y0, c)
		img.Set(x0, y0-1, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
