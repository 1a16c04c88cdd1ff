// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package lazylog defers a logger's names and values until it writes a line.
//
// controller-runtime gives every reconcile a logger with the controller, the object and a
// reconcile ID attached, and zap encodes attached values at once, into a copy of its encoder:
// about 10 KB per reconcile, most of which never log a line. This sink keeps them aside and
// hands them to the real sink the first time a line is written.
package lazylog

import (
	"sync"

	"github.com/go-logr/logr"
)

// step is one WithName or WithValues call, in the order made.
type step struct {
	name   string
	values []any
}

type sink struct {
	base  logr.LogSink
	depth int
	steps []step

	once  sync.Once
	ready logr.LogSink
}

// New wraps base.
func New(base logr.LogSink) logr.LogSink { return &sink{base: base} }

// real is base with the deferred names and values applied, built once.
func (s *sink) real() logr.LogSink {
	s.once.Do(func() {
		out := s.base
		if s.depth != 0 {
			if d, ok := out.(logr.CallDepthLogSink); ok {
				out = d.WithCallDepth(s.depth)
			}
		}
		for _, st := range s.steps {
			if st.values != nil {
				out = out.WithValues(st.values...)
			} else {
				out = out.WithName(st.name)
			}
		}
		s.ready = out
	})
	return s.ready
}

func (s *sink) with(st step) *sink {
	steps := make([]step, len(s.steps), len(s.steps)+1)
	copy(steps, s.steps)
	return &sink{base: s.base, depth: s.depth, steps: append(steps, st)}
}

func (s *sink) Init(info logr.RuntimeInfo) {
	// The sink sits between logr and base: one frame more.
	info.CallDepth++
	s.base.Init(info)
}

func (s *sink) Enabled(level int) bool { return s.base.Enabled(level) }

func (s *sink) Info(level int, msg string, keysAndValues ...any) {
	s.real().Info(level, msg, keysAndValues...)
}

func (s *sink) Error(err error, msg string, keysAndValues ...any) {
	s.real().Error(err, msg, keysAndValues...)
}

func (s *sink) WithValues(keysAndValues ...any) logr.LogSink {
	if len(keysAndValues) == 0 {
		return s
	}
	return s.with(step{values: append([]any(nil), keysAndValues...)})
}

func (s *sink) WithName(name string) logr.LogSink { return s.with(step{name: name}) }

func (s *sink) WithCallDepth(depth int) logr.LogSink {
	return &sink{base: s.base, depth: s.depth + depth, steps: s.steps}
}

var _ logr.CallDepthLogSink = &sink{}
