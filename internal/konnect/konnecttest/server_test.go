// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package konnecttest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

const cpID = "3f8d1a52-6b7e-4c1d-9e2f-0a1b2c3d4e5f"

func start(t *testing.T) *Server {
	t.Helper()
	s, err := New("kpat_test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.AddControlPlane(cpID, "edge")
	return s
}

func call(t *testing.T, s *Server, method, path, token, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp, out
}

func TestRegistrationFlowKeepsToTheContract(t *testing.T) {
	g := NewWithT(t)
	s := start(t)

	resp, cp := call(t, s, "GET", "/v2/control-planes/"+cpID, "kpat_test", "")
	g.Expect(resp.StatusCode).To(Equal(200))
	g.Expect(cp["config"].(map[string]any)["control_plane_endpoint"]).To(HavePrefix("https://"))

	resp, list := call(t, s, "GET", "/v2/control-planes?filter[name][eq]=edge", "kpat_test", "")
	g.Expect(resp.StatusCode).To(Equal(200))
	g.Expect(list["data"]).To(HaveLen(1))

	pem := "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----"
	resp, created := call(t, s, "POST", "/v2/control-planes/"+cpID+"/dp-client-certificates", "kpat_test", `{"cert":"`+pem+`"}`)
	g.Expect(resp.StatusCode).To(Equal(201))
	id := created["item"].(map[string]any)["id"].(string)
	g.Expect(s.Certificates(cpID)).To(HaveLen(1))

	resp, certs := call(t, s, "GET", "/v2/control-planes/"+cpID+"/dp-client-certificates", "kpat_test", "")
	g.Expect(resp.StatusCode).To(Equal(200))
	g.Expect(certs["items"]).To(HaveLen(1))

	s.CheckIn(cpID, "edge-7d4b9c-x2x7q")
	resp, nodes := call(t, s, "GET", "/v2/control-planes/"+cpID+"/nodes", "kpat_test", "")
	g.Expect(resp.StatusCode).To(Equal(200))
	g.Expect(nodes["items"]).To(HaveLen(1))

	resp, _ = call(t, s, "DELETE", "/v2/control-planes/"+cpID+"/dp-client-certificates/"+id, "kpat_test", "")
	g.Expect(resp.StatusCode).To(Equal(204))
	g.Expect(s.Certificates(cpID)).To(BeEmpty())

	g.Expect(s.Violations()).To(BeEmpty(), "the server or the calls broke the contract")
}

func TestContractViolationsAreCaught(t *testing.T) {
	g := NewWithT(t)
	s := start(t)
	// A pin without a certificate: the contract requires "cert".
	resp, _ := call(t, s, "POST", "/v2/control-planes/"+cpID+"/dp-client-certificates", "kpat_test", `{"title":"no cert"}`)
	g.Expect(resp.StatusCode).To(Equal(400))
	g.Expect(s.Violations()).To(ContainElement(ContainSubstring("request POST")))
}

func TestAuthAndMissingControlPlanes(t *testing.T) {
	g := NewWithT(t)
	s := start(t)
	resp, body := call(t, s, "GET", "/v2/control-planes/"+cpID, "spat_wrong", "")
	g.Expect(resp.StatusCode).To(Equal(401))
	g.Expect(body["title"]).To(Equal("Unauthorized"))
	resp, _ = call(t, s, "GET", "/v2/control-planes/00000000-0000-4000-8000-000000000000", "kpat_test", "")
	g.Expect(resp.StatusCode).To(Equal(404))
	resp, _ = call(t, s, "GET", "/v2/control-planes/00000000-0000-4000-8000-000000000000/dp-client-certificates", "kpat_test", "")
	g.Expect(resp.StatusCode).To(Equal(404))
	g.Expect(s.Violations()).To(BeEmpty())
}

func TestInjectedFaults(t *testing.T) {
	g := NewWithT(t)
	s := start(t)
	s.Inject(Fault{PathContains: "/dp-client-certificates", Status: 429, RetryAfter: 7 * time.Second})
	resp, _ := call(t, s, "GET", "/v2/control-planes/"+cpID+"/dp-client-certificates", "kpat_test", "")
	g.Expect(resp.StatusCode).To(Equal(429))
	g.Expect(resp.Header.Get("Retry-After")).To(Equal("7"))

	s.Inject(Fault{PathContains: cpID, Status: 500})
	resp, _ = call(t, s, "GET", "/v2/control-planes/"+cpID, "kpat_test", "")
	g.Expect(resp.StatusCode).To(Equal(500))

	s.Inject(Fault{PathContains: "/nodes", Delay: 300 * time.Millisecond})
	began := time.Now()
	resp, _ = call(t, s, "GET", "/v2/control-planes/"+cpID+"/nodes", "kpat_test", "")
	g.Expect(resp.StatusCode).To(Equal(200))
	g.Expect(time.Since(began)).To(BeNumerically(">=", 300*time.Millisecond))

	// Faults are used up: the next call is answered normally.
	resp, _ = call(t, s, "GET", "/v2/control-planes/"+cpID, "kpat_test", "")
	g.Expect(resp.StatusCode).To(Equal(200))
}
