// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// auditLogs are the bench cluster's API server audit logs (hack/bench/audit-policy.yaml):
// the current one and those it rotated out (the API server starts a new file every 100 MB,
// which a run of 5,000 gateways passes).
func auditLogs() []string {
	logs, err := filepath.Glob(filepath.Join(filepath.Dir(cluster("kubeconfig")), "logs", "audit*.log"))
	must(err, "finding the audit logs")
	return logs
}

// auditedRequests counts, by verb, the requests the audit logs hold from a user agent that
// starts with agent and that the API server received in [from, to).
func auditedRequests(paths []string, agent string, from, to time.Time) map[string]float64 {
	out := map[string]float64{}
	for _, path := range paths {
		countAudited(path, agent, from, to, out)
	}
	return out
}

func countAudited(path, agent string, from, to time.Time, out map[string]float64) {
	f, err := os.Open(path)
	must(err, "reading the audit log")
	defer f.Close()
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 4<<20), 4<<20)
	for scanner.Scan() {
		var e struct {
			Verb      string    `json:"verb"`
			UserAgent string    `json:"userAgent"`
			Received  time.Time `json:"requestReceivedTimestamp"`
		}
		if json.Unmarshal(scanner.Bytes(), &e) != nil || !strings.HasPrefix(e.UserAgent, agent) {
			continue
		}
		if !e.Received.Before(from) && e.Received.Before(to) {
			out[e.Verb]++
		}
	}
	must(scanner.Err(), "reading "+path)
}

// writes sums the mutating requests of metrics (by HTTP method) or of the audit log (by verb).
func writes(counts map[string]float64) float64 {
	var total float64
	for k, v := range counts {
		switch strings.ToLower(k) {
		case "post", "put", "patch", "delete", "create", "update", "deletecollection":
			total += v
		}
	}
	return total
}
