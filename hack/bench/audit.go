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

// auditLog is the bench cluster's API server audit log (hack/bench/audit-policy.yaml).
func auditLog() string {
	return filepath.Join(filepath.Dir(cluster("kubeconfig")), "logs", "audit.log")
}

// auditedRequests counts, by verb, the requests the audit log holds from a user agent that
// starts with agent and that the API server received in [from, to).
func auditedRequests(path, agent string, from, to time.Time) map[string]float64 {
	f, err := os.Open(path)
	must(err, "reading the audit log")
	defer f.Close()
	out := map[string]float64{}
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
	return out
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
