// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package testutil helps tests: it finds files that ship inside Go modules (Istio's CRDs,
// OpenShift's Route CRD, OLM's OperatorCondition CRD) at the versions go.mod pins, and makes
// certificates.
package testutil

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ModuleFile is the path of a file inside a module the project requires.
func ModuleFile(t testing.TB, module string, elem ...string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		t.Fatalf("locating module %s: %v", module, err)
	}
	return filepath.Join(append([]string{strings.TrimSpace(string(out))}, elem...)...)
}
