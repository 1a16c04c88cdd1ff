// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package e2e runs the operator binary against the local kwok cluster (make test-e2e):
// Kubernetes' real controllers roll the gateway out, fake nodes run its pods.
package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/portico-dev/portico/test/e2e/harness"
)

var (
	env    *harness.Env
	shared *harness.Operator
)

// The suite's shorthands for the harness.
var (
	timeout       = harness.Timeout
	interval      = harness.Interval
	startOperator = func(name string, args ...string) *harness.Operator { return env.StartOperator(name, args...) }
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	var err error
	if env, err = harness.Setup("../..", "e2e"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	shared = env.StartOperator("shared")
	// Tests restart the shared operator: stop whichever instance runs last.
	defer func() { shared.Stop() }()
	code := m.Run()
	code = env.RBACVerdict(code, "config/rbac")
	if code != 0 {
		fmt.Fprintf(os.Stderr, "operator logs are under %s\n", env.WorkDir)
	}
	return code
}
