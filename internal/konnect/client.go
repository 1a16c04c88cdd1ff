// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package konnect talks to Kong Konnect's data-plane registration API and holds the pure
// certificate logic (issue, when to rotate) with the clock passed in.
//
// The client is a small typed one rather than github.com/Kong/sdk-konnect-go: Portico needs
// five calls, and owning them keeps every call's timeout, the Retry-After handling and the
// error classification (which drives condition reasons) in one short file. The contract test
// server (konnecttest) checks each request against Kong's OpenAPI description.
package konnect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultServerURL is Konnect's US regional API.
const DefaultServerURL = "https://us.api.konghq.com"

const (
	// callTimeout bounds every call: a slow Konnect must not hold a reconcile worker.
	callTimeout = 10 * time.Second
	// connectTimeout bounds reaching the host: one that never answers fails fast.
	connectTimeout = 5 * time.Second
	// MaxAnswer is the largest answer read: Konnect's answers are a few KiB, and one that is
	// not must not fill the operator's memory.
	MaxAnswer = 1 << 20
	// slotWait is how long a call waits for one of the gate's slots before giving up: about
	// one healthy call's time, so that a burst of registrations mostly waits its turn while a
	// worker never waits long behind calls that hang.
	slotWait = 250 * time.Millisecond
)

// defaultHTTP is the client used when NewClient is given none: Go's default transport (which
// honours the cluster proxy) with short connect and TLS handshake timeouts. Shared, so that
// connections are reused across reconciles.
var defaultHTTP = func() *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}).DialContext
	transport.TLSHandshakeTimeout = connectTimeout
	transport.ResponseHeaderTimeout = callTimeout
	return &http.Client{Transport: transport, Timeout: callTimeout}
}()

// Error kinds, for conditions: each maps to one reason.
var (
	ErrAuth        = errors.New("konnect rejected the token")
	ErrNotFound    = errors.New("not found in Konnect")
	ErrUnavailable = errors.New("konnect is unavailable")
	// ErrBusy: the operator's share of workers for Konnect calls is taken (by slow calls, say);
	// the call was not made.
	ErrBusy = errors.New("too many Konnect calls under way")
)

// transportFailure names the kind of a failed call's transport error, and nothing of its
// text: the raw error carries host names, addresses and certificate details, and a
// GatewayDeployment's author must not be able to use the operator as a probe of the network.
func transportFailure(err error) string {
	var (
		netErr      net.Error
		dnsErr      *net.DNSError
		unknownCA   x509.UnknownAuthorityError
		badHost     x509.HostnameError
		invalidCert x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	case errors.As(err, &dnsErr):
		return "host name not found"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.As(err, &unknownCA), errors.As(err, &badHost), errors.As(err, &invalidCert),
		errors.As(err, &verifyErr), errors.As(err, &recordErr):
		return "TLS handshake failed"
	default:
		return "connection failed"
	}
}

// MaxRetryAfter caps how long a 429's Retry-After holds calls back: an answer asking for a day
// (by mistake, or from something that is not Konnect) must not park a gateway's registration.
const MaxRetryAfter = 5 * time.Minute

// ParseRetryAfter reads a Retry-After header, in seconds or as an HTTP date, into a wait of
// at least a second and at most MaxRetryAfter; a missing or unreadable one waits a second.
func ParseRetryAfter(header string, now time.Time) time.Duration {
	wait := time.Second
	if seconds, err := strconv.ParseInt(strings.TrimSpace(header), 10, 64); err == nil {
		wait = time.Duration(min(seconds, int64(MaxRetryAfter/time.Second))) * time.Second
	} else if at, err := http.ParseTime(header); err == nil {
		wait = at.Sub(now)
	}
	return min(max(wait, time.Second), MaxRetryAfter)
}

// RetryAfterError is a 429: wait RetryAfter before calling again.
type RetryAfterError struct{ RetryAfter time.Duration }

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("konnect is rate limiting: retry after %s", e.RetryAfter)
}

func (e *RetryAfterError) Unwrap() error { return ErrUnavailable }

// ControlPlane is what a data plane needs of its control plane.
type ControlPlane struct {
	ID, Name          string
	Endpoint          string // control_plane_endpoint, an https URL
	TelemetryEndpoint string
}

// Certificate is a pinned data-plane client certificate.
type Certificate struct {
	ID, Cert string
}

// Node is a data plane that checked in with the control plane.
type Node struct {
	Hostname string
	LastPing time.Time
}

// Client calls one Konnect region with one token. The token stays inside: it is never part
// of an error or a log line.
type Client struct {
	serverURL string
	token     string
	// caller names the server and the token (a digest of it) to the gate.
	caller string
	http   *http.Client
	gate   *Gate
}

// NewClient returns a client for serverURL (https) with the token. hc carries the transport
// (nil: Go's default transport, which honours the cluster proxy, HTTPS_PROXY and NO_PROXY,
// with short connect timeouts); gate, shared by all clients, bounds the calls under way and
// holds back calls to a control plane that is failing (nil: neither).
func NewClient(serverURL, token string, hc *http.Client, gate *Gate) *Client {
	if hc == nil {
		hc = defaultHTTP
	}
	digest := sha256.Sum256([]byte(token))
	return &Client{serverURL: serverURL, token: token, caller: serverURL + " " + hex.EncodeToString(digest[:8]), http: hc, gate: gate}
}

// PollKey names what one answer of the nodes list is good for: this client's server and
// token, and the control plane. Gateways with the same key may share an answer; with another
// token, never.
func (c *Client) PollKey(controlPlaneID string) string { return c.caller + " " + controlPlaneID }

// Gate remembers, per control plane and token, until when Konnect asked to be left alone
// (429 Retry-After) or last failed. Calls before then fail at once: one gateway waiting on a
// timeout is enough, the others must not each hold a reconcile worker for it; and gateways
// with another token or control plane are not held for it. It also bounds how many calls
// are under way at once, so that slow answers hold only a share of the workers.
type Gate struct {
	// Observer, when set, hears of every call: its operation and its Outcome.
	Observer func(operation, outcome string)

	mu    sync.Mutex
	until map[string]time.Time
	now   func() time.Time
	hold  time.Duration
	slots chan struct{}
}

// NewGate returns a gate reading the time from now, which leaves a control plane whose call
// failed (5xx, timeout) alone for hold, and lets at most concurrent calls run at once.
func NewGate(now func() time.Time, hold time.Duration, concurrent int) *Gate {
	return &Gate{until: map[string]time.Time{}, now: now, hold: hold, slots: make(chan struct{}, max(concurrent, 1))}
}

// acquire takes a slot, waiting a little for one; release gives it back.
func (g *Gate) acquire(ctx context.Context) error {
	if g == nil {
		return nil
	}
	timer := time.NewTimer(slotWait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-timer.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *Gate) observe(operation string, err error) {
	if g != nil && g.Observer != nil {
		g.Observer(operation, Outcome(err))
	}
}

func (g *Gate) release() {
	if g != nil {
		<-g.slots
	}
}

// DefaultUnavailableHold is how long a control plane whose call failed is left alone (for that
// token) by default.
const DefaultUnavailableHold = 5 * time.Second

func (g *Gate) check(server string) error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if wait := g.until[server].Sub(g.now()); wait > 0 {
		return &RetryAfterError{RetryAfter: wait}
	}
	return nil
}

func (g *Gate) record(server string, err error) {
	var retry *RetryAfterError
	var hold time.Duration
	switch {
	case g == nil || err == nil:
		return
	case errors.As(err, &retry):
		hold = retry.RetryAfter
	case errors.Is(err, ErrUnavailable):
		hold = g.hold
	default:
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if until := g.now().Add(hold); until.After(g.until[server]) {
		g.until[server] = until
	}
}

// ControlPlane reads a control plane by id.
func (c *Client) ControlPlane(ctx context.Context, id string) (*ControlPlane, error) {
	var cp controlPlaneJSON
	if _, err := c.do(ctx, "get_control_plane", http.MethodGet, "/v2/control-planes/"+url.PathEscape(id), nil, &cp); err != nil {
		return nil, err
	}
	return cp.model(), nil
}

// ControlPlaneByName resolves a name to the control plane.
func (c *Client) ControlPlaneByName(ctx context.Context, name string) (*ControlPlane, error) {
	var list struct {
		Data []controlPlaneJSON `json:"data"`
	}
	if _, err := c.do(ctx, "find_control_plane", http.MethodGet, "/v2/control-planes?"+url.Values{"filter[name][eq]": {name}}.Encode(), nil, &list); err != nil {
		return nil, err
	}
	if len(list.Data) != 1 {
		return nil, fmt.Errorf("control plane named %q: %w (%d matches)", name, ErrNotFound, len(list.Data))
	}
	return list.Data[0].model(), nil
}

// Certificates lists the certificates pinned to a control plane.
func (c *Client) Certificates(ctx context.Context, controlPlaneID string) ([]Certificate, error) {
	var list struct {
		Items []certificateJSON `json:"items"`
	}
	if _, err := c.do(ctx, "list_certificates", http.MethodGet, "/v2/control-planes/"+url.PathEscape(controlPlaneID)+"/dp-client-certificates", nil, &list); err != nil {
		return nil, err
	}
	out := make([]Certificate, 0, len(list.Items))
	for _, it := range list.Items {
		out = append(out, Certificate(it))
	}
	return out, nil
}

// Pin pins a PEM certificate and returns its id.
func (c *Client) Pin(ctx context.Context, controlPlaneID, certPEM string) (string, error) {
	var created struct {
		Item certificateJSON `json:"item"`
	}
	_, err := c.do(ctx, "pin_certificate", http.MethodPost, "/v2/control-planes/"+url.PathEscape(controlPlaneID)+"/dp-client-certificates",
		map[string]string{"cert": certPEM}, &created)
	return created.Item.ID, err
}

// PinOnce pins certPEM unless it is pinned already, and returns its id. A restart or a lost
// answer may have left it pinned: listing first keeps one certificate from being pinned twice.
func (c *Client) PinOnce(ctx context.Context, controlPlaneID, certPEM string) (string, error) {
	id, err := c.FindPinned(ctx, controlPlaneID, certPEM)
	if err != nil || id != "" {
		return id, err
	}
	return c.Pin(ctx, controlPlaneID, certPEM)
}

// FindPinned gives the id under which certPEM is pinned, or "" when it is not.
func (c *Client) FindPinned(ctx context.Context, controlPlaneID, certPEM string) (string, error) {
	pinned, err := c.Certificates(ctx, controlPlaneID)
	if err != nil {
		return "", err
	}
	for _, p := range pinned {
		if SameCertificate(p.Cert, certPEM) {
			return p.ID, nil
		}
	}
	return "", nil
}

// Unpin removes a pinned certificate; one already gone counts as removed.
func (c *Client) Unpin(ctx context.Context, controlPlaneID, certificateID string) error {
	_, err := c.do(ctx, "unpin_certificate", http.MethodDelete, "/v2/control-planes/"+url.PathEscape(controlPlaneID)+
		"/dp-client-certificates/"+url.PathEscape(certificateID), nil, nil)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Nodes lists the data planes that checked in, and Konnect's time when it answered (its Date
// header; zero when it sent none): their pings are on Konnect's clock, not the operator's.
func (c *Client) Nodes(ctx context.Context, controlPlaneID string) ([]Node, time.Time, error) {
	var list struct {
		Items []struct {
			Hostname string `json:"hostname"`
			LastPing int64  `json:"last_ping"`
		} `json:"items"`
	}
	answeredAt, err := c.do(ctx, "list_nodes", http.MethodGet, "/v2/control-planes/"+url.PathEscape(controlPlaneID)+"/nodes", nil, &list)
	if err != nil {
		return nil, time.Time{}, err
	}
	out := make([]Node, 0, len(list.Items))
	for _, it := range list.Items {
		out = append(out, Node{Hostname: it.Hostname, LastPing: time.Unix(it.LastPing, 0)})
	}
	return out, answeredAt, nil
}

// do makes a call through the gate, and gives Konnect's time at the answer (zero if unknown).
// operation names the call to the gate's observer.
func (c *Client) do(ctx context.Context, operation, method, path string, body, into any) (answeredAt time.Time, err error) {
	defer func() { c.gate.observe(operation, err) }()
	// Held per control plane (the path names it) and token.
	key := c.caller
	if rest, ok := strings.CutPrefix(path, "/v2/control-planes/"); ok {
		id, _, _ := strings.Cut(rest, "/")
		key += " " + id
	}
	if err := c.gate.check(key); err != nil {
		return time.Time{}, &heldError{err}
	}
	if err := c.gate.acquire(ctx); err != nil {
		return time.Time{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer c.gate.release()
	answeredAt, err = c.call(ctx, method, path, body, into)
	c.gate.record(key, err)
	return answeredAt, err
}

// heldError is a call the gate held back, without asking Konnect.
type heldError struct{ error }

func (e *heldError) Unwrap() error { return e.error }

// Outcome names how a call went, for metrics: a small fixed set.
func Outcome(err error) string {
	var retry *RetryAfterError
	var held *heldError
	switch {
	case err == nil:
		return "success"
	case errors.As(err, &held):
		return "held"
	case errors.Is(err, ErrBusy):
		return "busy"
	case errors.As(err, &retry):
		return "rate_limited"
	case errors.Is(err, ErrAuth):
		return "unauthorized"
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	}
	return "failed"
}

func (c *Client) call(ctx context.Context, method, path string, body, into any) (answeredAt time.Time, err error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return answeredAt, err
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.serverURL+path, reader)
	if err != nil {
		return answeredAt, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The error names the URL, never the token (which travels in a header).
		return answeredAt, fmt.Errorf("%s %s: %w: %s", method, path, ErrUnavailable, transportFailure(err))
	}
	defer resp.Body.Close()
	answeredAt, _ = http.ParseTime(resp.Header.Get("Date"))
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer+1))
	switch {
	case err != nil:
		return answeredAt, fmt.Errorf("%s %s: %w: %s", method, path, ErrUnavailable, transportFailure(err))
	case len(raw) > MaxAnswer:
		return answeredAt, fmt.Errorf("%s %s: %w: the answer is larger than %d KiB", method, path, ErrUnavailable, MaxAnswer>>10)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return answeredAt, fmt.Errorf("%s %s: %w (HTTP %d)", method, path, ErrAuth, resp.StatusCode)
	case resp.StatusCode == http.StatusNotFound:
		return answeredAt, fmt.Errorf("%s %s: %w", method, path, ErrNotFound)
	case resp.StatusCode == http.StatusTooManyRequests:
		return answeredAt, &RetryAfterError{RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	case resp.StatusCode >= 500:
		return answeredAt, fmt.Errorf("%s %s: %w (HTTP %d)", method, path, ErrUnavailable, resp.StatusCode)
	case resp.StatusCode >= 300:
		return answeredAt, fmt.Errorf("%s %s: unexpected HTTP %d", method, path, resp.StatusCode)
	}
	if into == nil || len(raw) == 0 {
		return answeredAt, nil
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return answeredAt, fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
	}
	return answeredAt, nil
}

type controlPlaneJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Config struct {
		ControlPlaneEndpoint string `json:"control_plane_endpoint"`
		TelemetryEndpoint    string `json:"telemetry_endpoint"`
	} `json:"config"`
}

func (cp controlPlaneJSON) model() *ControlPlane {
	return &ControlPlane{ID: cp.ID, Name: cp.Name, Endpoint: cp.Config.ControlPlaneEndpoint, TelemetryEndpoint: cp.Config.TelemetryEndpoint}
}

type certificateJSON struct {
	ID   string `json:"id"`
	Cert string `json:"cert"`
}
