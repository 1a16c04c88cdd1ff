// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package lazylog

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/go-logr/logr"
)

// recorder is a sink that notes every call made to it, shared by the sinks derived from it.
type recorder struct {
	calls *[]string
	ctx   []string
	level int
	depth int
}

func (r recorder) Init(info logr.RuntimeInfo) { r.note(fmt.Sprintf("init depth %d", info.CallDepth)) }
func (r recorder) Enabled(level int) bool     { return level <= r.level }
func (r recorder) Info(level int, msg string, kv ...any) {
	r.note(fmt.Sprintf("info %v %s %v", r.ctx, msg, kv))
}
func (r recorder) Error(err error, msg string, kv ...any) {
	r.note(fmt.Sprintf("error %v %s: %v %v", r.ctx, msg, err, kv))
}
func (r recorder) WithValues(kv ...any) logr.LogSink {
	r.note(fmt.Sprintf("values %v", kv))
	r.ctx = append(append([]string(nil), r.ctx...), fmt.Sprint(kv...))
	return r
}
func (r recorder) WithName(name string) logr.LogSink {
	r.note("name " + name)
	r.ctx = append(append([]string(nil), r.ctx...), name)
	return r
}
func (r recorder) WithCallDepth(depth int) logr.LogSink {
	r.note(fmt.Sprintf("depth %d", depth))
	r.depth += depth
	return r
}
func (r recorder) note(s string) { *r.calls = append(*r.calls, s) }

// TestValuesWaitForALine: names and values reach the real sink only when a line is written,
// in the order given, once however many lines follow; a disabled level builds nothing; a
// derived logger does not change the one it came from; logr's frame count stays right.
func TestValuesWaitForALine(t *testing.T) {
	var calls []string
	log := logr.New(New(recorder{calls: &calls}))
	expect := func(step string, want ...string) {
		t.Helper()
		if len(calls)+len(want) > 0 && !reflect.DeepEqual(calls, want) {
			t.Fatalf("%s: calls %q, want %q", step, calls, want)
		}
		calls = nil
	}
	expect("init", "init depth 2")

	reconcile := log.WithName("gatewaydeployment").WithValues("name", "edge").WithValues("reconcileID", "r1")
	reconcile.V(1).Info("quiet")
	expect("before any line")

	reconcile.Info("applied", "kind", "Service")
	reconcile.Error(errors.New("boom"), "failed")
	expect("lines", "name gatewaydeployment", "values [name edge]", "values [reconcileID r1]",
		"info [gatewaydeployment nameedge reconcileIDr1] applied [kind Service]",
		"error [gatewaydeployment nameedge reconcileIDr1] failed: boom []")

	log.WithValues("name", "other").Info("elsewhere")
	expect("a sibling", "values [name other]", "info [nameother] elsewhere []")

	log.WithCallDepth(2).WithValues("k", "v").Info("deeper")
	expect("call depth", "depth 2", "values [k v]", "info [kv] deeper []")
}
