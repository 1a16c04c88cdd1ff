// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package konnecttest is an in-process stand-in for Kong Konnect's data-plane registration
// API. It keeps control planes, pinned client certificates and nodes in memory, checks bearer
// auth, validates every request it receives and every response it sends against Kong's
// OpenAPI description (contract/), and can be told to fail: 401, 404, 429 with Retry-After,
// 500, or a slow answer.
package konnecttest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/helpers"
)

//go:embed contract/konnect-registration.yaml
var contract []byte

// Fault makes the next request whose path contains PathContains fail (or stall) as told.
type Fault struct {
	PathContains string
	Status       int           // 401, 404, 429, 500 …; 0 answers normally after Delay
	RetryAfter   time.Duration // sent with 429
	Delay        time.Duration // wait before answering
	// Oversize, when set, answers 200 with a JSON body of that many bytes, unchecked against
	// the contract: what a misbehaving server (or not Konnect at all) might send.
	Oversize int
}

type certificate struct {
	ID      string
	Cert    string
	Created int64
}

type controlPlane struct {
	ID, Name    string
	Certs       []*certificate
	Nodes       map[string]time.Time // hostname -> last ping
	certCounter int
}

// Server is the fake Konnect. Its zero value is not usable: call New.
type Server struct {
	URL   string
	Token string

	srv       *httptest.Server
	validator validator.Validator

	mu         sync.Mutex
	planes     map[string]*controlPlane
	faults     []Fault
	violations []string
	requests   []string
	// tokens are accepted beside Token (AllowToken); byToken counts the requests each sent.
	tokens  map[string]bool
	byToken map[string][]string
	now     func() time.Time
}

// AllowToken accepts another token, as of another user of the same organisation.
func (s *Server) AllowToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens = map[string]bool{}
	}
	s.tokens[token] = true
}

// RequestsWith are the requests (method and path) that came with token, in order.
func (s *Server) RequestsWith(token string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.byToken[token]...)
}

func (s *Server) accepts(authorization string) bool {
	token, ok := strings.CutPrefix(authorization, "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	return ok && (token == s.Token || s.tokens[token])
}

// New starts a server on a random local port that accepts the bearer token. It speaks TLS,
// as Konnect does: Client trusts it.
func New(token string) (*Server, error) {
	return NewOn("127.0.0.1:0", token)
}

// NewOn starts the server on addr.
func NewOn(addr, token string) (*Server, error) {
	doc, err := libopenapi.NewDocument(contract)
	if err != nil {
		return nil, fmt.Errorf("loading the Konnect contract: %w", err)
	}
	// Kong's 3.1 description still uses OpenAPI 3.0's nullable (ten times false, a no-op, and
	// three times true on fields this server never sends as null); strict 3.1 mode would refuse
	// to compile those schemas at all.
	v, errs := validator.NewValidator(doc, config.WithoutOpenAPIMode())
	if len(errs) > 0 {
		return nil, fmt.Errorf("building the contract validator: %v", errs)
	}
	s := &Server{Token: token, validator: v, planes: map[string]*controlPlane{}, now: time.Now}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Listener.Close()
	s.srv.Listener = listener
	s.srv.StartTLS()
	s.URL = s.srv.URL
	return s, nil
}

// Client is an HTTP client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// CertificatePEM is the server's certificate, for clients that trust it through a file
// (SSL_CERT_FILE).
func (s *Server) CertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

// SetClock makes the server read the time from now (nodes' last pings, certificates' times).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

func (s *Server) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// AddControlPlane makes a control plane exist. id must be a UUID, as in Konnect.
func (s *Server) AddControlPlane(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.planes[id] = &controlPlane{ID: id, Name: name, Nodes: map[string]time.Time{}}
}

// CheckIn records data-plane nodes pinging the control plane now.
func (s *Server) CheckIn(controlPlaneID string, hostnames ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range hostnames {
		s.planes[controlPlaneID].Nodes[h] = s.now()
	}
}

// Certificates are the PEM certificates pinned to a control plane.
func (s *Server) Certificates(controlPlaneID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.planes[controlPlaneID].Certs {
		out = append(out, c.Cert)
	}
	return out
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults drops the faults not yet taken whose PathContains contains part.
func (s *Server) ClearFaults(part string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = slices.DeleteFunc(s.faults, func(f Fault) bool { return strings.Contains(f.PathContains, part) })
}

// Violations are the contract violations seen so far, requests and responses both. A test
// that uses the server should require none.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// Requests are the requests handled so far, as "METHOD /path".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	reset := func() { r.Body = io.NopCloser(bytes.NewReader(body)) }
	reset()
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if s.byToken == nil {
			s.byToken = map[string][]string{}
		}
		s.byToken[token] = append(s.byToken[token], r.Method+" "+r.URL.Path)
	}
	s.mu.Unlock()

	if ok, errs := s.validator.ValidateHttpRequestSync(r); !ok {
		for _, e := range errs {
			s.violate("request %s %s: %s", r.Method, r.URL.Path, e.Message+": "+e.Reason)
		}
	}
	reset()

	// Konnect's clock, which stamps the nodes' pings too.
	w.Header().Set("Date", s.clock().UTC().Format(http.TimeFormat))
	fault, faulty := s.takeFault(r.URL.Path)
	if faulty && fault.Oversize > 0 {
		wait(r, fault.Delay)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"items":[],"padding":"`)
		chunk := strings.Repeat("x", 1<<16)
		for left := fault.Oversize - 26; left > 0; left -= len(chunk) {
			_, _ = io.WriteString(w, chunk[:min(left, len(chunk))])
		}
		_, _ = io.WriteString(w, `"}`)
		return
	}
	rec := httptest.NewRecorder()
	injected := s.handle(rec, r, fault, faulty)
	resp := rec.Result()
	if ok, errs := s.validator.ValidateHttpResponse(r, resp); !ok {
		for _, e := range errs {
			// Konnect's gateway answers 429 (and may answer 5xx) on any path, though the
			// description lists neither for every operation: an injected fault may use a status
			// code the contract does not list. Its body is still checked where one is listed.
			if injected && e.ValidationSubType == helpers.ResponseBodyResponseCode {
				continue
			}
			s.violate("response %d to %s %s: %s", resp.StatusCode, r.Method, r.URL.Path, e.Message+": "+e.Reason)
		}
	}
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// wait waits d, or until the client gives up on r.
func wait(r *http.Request, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-r.Context().Done():
	}
}

func (s *Server) violate(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

var (
	planePath = regexp.MustCompile(`^/v2/control-planes/([^/]+)$`)
	certsPath = regexp.MustCompile(`^/v2/control-planes/([^/]+)/dp-client-certificates$`)
	certPath  = regexp.MustCompile(`^/v2/control-planes/([^/]+)/dp-client-certificates/([^/]+)$`)
	nodesPath = regexp.MustCompile(`^/v2/control-planes/([^/]+)/nodes$`)
)

// handle answers r and reports whether the answer was an injected fault.
func (s *Server) handle(w http.ResponseWriter, r *http.Request, f Fault, faulty bool) (injected bool) {
	if faulty {
		wait(r, f.Delay)
		if f.Status != 0 {
			if f.Status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter.Seconds())))
			}
			s.fail(w, r, f.Status)
			return true
		}
	}
	s.answer(w, r)
	return false
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request) {
	if !s.accepts(r.Header.Get("Authorization")) {
		s.fail(w, r, http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	path := r.URL.Path
	switch m := planePath.FindStringSubmatch(path); {
	case path == "/v2/control-planes" && r.Method == http.MethodGet:
		var data []any
		name := r.URL.Query().Get("filter[name][eq]")
		for _, cp := range s.planes {
			if name == "" || cp.Name == name {
				data = append(data, s.planeJSON(cp))
			}
		}
		if data == nil {
			data = []any{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"page": map[string]any{"number": 1, "size": 100, "total": len(data)}}})
	case m != nil && r.Method == http.MethodGet:
		cp, ok := s.planes[m[1]]
		if !ok {
			s.failLocked(w, r, http.StatusNotFound)
			return
		}
		writeJSON(w, http.StatusOK, s.planeJSON(cp))
	default:
		s.handleChildren(w, r)
	}
}

func (s *Server) handleChildren(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	var cpID string
	for _, re := range []*regexp.Regexp{certsPath, certPath, nodesPath} {
		if m := re.FindStringSubmatch(path); m != nil {
			cpID = m[1]
		}
	}
	cp, ok := s.planes[cpID]
	if !ok {
		s.failLocked(w, r, http.StatusNotFound)
		return
	}
	switch {
	case certsPath.MatchString(path) && r.Method == http.MethodGet:
		items := []any{}
		for _, c := range cp.Certs {
			items = append(items, certJSON(c))
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "page": map[string]any{"total_count": len(items)}})
	case certsPath.MatchString(path) && r.Method == http.MethodPost:
		var req struct {
			Cert string `json:"cert"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Cert == "" {
			s.failLocked(w, r, http.StatusBadRequest)
			return
		}
		cp.certCounter++
		c := &certificate{ID: fmt.Sprintf("%08d-0000-4000-8000-%012d", cp.certCounter, cp.certCounter), Cert: req.Cert, Created: s.now().Unix()}
		cp.Certs = append(cp.Certs, c)
		writeJSON(w, http.StatusCreated, map[string]any{"item": certJSON(c)})
	case certPath.MatchString(path):
		id := certPath.FindStringSubmatch(path)[2]
		for i, c := range cp.Certs {
			if c.ID != id {
				continue
			}
			if r.Method == http.MethodDelete {
				cp.Certs = append(cp.Certs[:i], cp.Certs[i+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"item": certJSON(c)})
			return
		}
		s.failLocked(w, r, http.StatusNotFound)
	case nodesPath.MatchString(path) && r.Method == http.MethodGet:
		items := []any{}
		for host, ping := range cp.Nodes {
			items = append(items, map[string]any{"id": host, "hostname": host, "type": "kong-proxy", "version": "3.11.0.0",
				"last_ping": ping.Unix(), "created_at": ping.Unix(), "updated_at": ping.Unix(), "config_hash": strings.Repeat("0", 32)})
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "page": map[string]any{"total_count": len(items)}})
	default:
		s.failLocked(w, r, http.StatusNotFound)
	}
}

func (s *Server) planeJSON(cp *controlPlane) map[string]any {
	host := strings.ReplaceAll(cp.ID[:8], "-", "") + ".us.cp0.konghq.com"
	return map[string]any{
		"id": cp.ID, "name": cp.Name, "description": "", "labels": map[string]any{},
		"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
		"config": map[string]any{
			"control_plane_endpoint": "https://" + host,
			"telemetry_endpoint":     "https://" + strings.Replace(host, ".cp0.", ".tp0.", 1),
			"cluster_type":           "CLUSTER_TYPE_CONTROL_PLANE",
			"auth_type":              "pinned_client_certs",
			"cloud_gateway":          false,
			"proxy_urls":             []any{},
		},
	}
}

func certJSON(c *certificate) map[string]any {
	return map[string]any{"id": c.ID, "cert": c.Cert, "created_at": c.Created, "updated_at": c.Created}
}

func (s *Server) takeFault(path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if strings.Contains(path, f.PathContains) {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLocked(w, r, status)
}

// failLocked answers with the error body the contract gives that path: the control-plane
// paths use problem details, the older certificate and node paths a bare message.
func (s *Server) failLocked(w http.ResponseWriter, r *http.Request, status int) {
	title := http.StatusText(status)
	if strings.Contains(r.URL.Path, "/dp-client-certificates") || strings.Contains(r.URL.Path, "/nodes") {
		writeJSON(w, status, map[string]any{"message": title})
		return
	}
	writeBody(w, status, "application/problem+json", map[string]any{"status": status, "title": title,
		"instance": "kong:trace:0000000000", "detail": title})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	writeBody(w, status, "application/json", body)
}

func writeBody(w http.ResponseWriter, status int, contentType string, body any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
