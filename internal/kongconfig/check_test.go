// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package kongconfig

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func corpus(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in testdata/%s: %v", dir, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = data
	}
	return out
}

func TestSchemaLoads(t *testing.T) {
	root, err := loadSchema()
	if err != nil {
		t.Fatal(err)
	}
	if root.Properties["services"] == nil || root.Properties["services"].Items.target == nil {
		t.Fatal("services' items do not resolve to FService")
	}
}

func TestValidCorpus(t *testing.T) {
	for name, data := range corpus(t, "valid") {
		t.Run(name, func(t *testing.T) {
			r := Check(data)
			if !r.Valid() {
				t.Fatalf("errors: %s", r.Summary(10))
			}
			if len(r.Warnings) > 0 {
				t.Fatalf("warnings: %s", r.WarningSummary(10))
			}
		})
	}
}

// Each invalid file names, in a "# want:" line, the error Check must report first.
func TestInvalidCorpus(t *testing.T) {
	for name, data := range corpus(t, "invalid") {
		t.Run(name, func(t *testing.T) {
			first, _, _ := bytes.Cut(data, []byte("\n"))
			want, ok := strings.CutPrefix(string(first), "# want: ")
			if !ok {
				t.Fatal(`the file's first line must be "# want: <error>"`)
			}
			r := Check(data)
			if r.Valid() {
				t.Fatal("accepted")
			}
			if !strings.Contains(r.Errors[0].String(), want) {
				t.Fatalf("first error %q, want it to contain %q (all: %s)", r.Errors[0], want, r.Summary(10))
			}
		})
	}
}

func TestSummaryNamesTheFirstErrorsThenCounts(t *testing.T) {
	var b strings.Builder
	b.WriteString("_format_version: \"3.0\"\nservices:\n")
	for i := range 150 {
		b.WriteString("- {name: s" + strconv.Itoa(i) + ", host: a, port: 0}\n")
	}
	r := Check([]byte(b.String()))
	got := r.Summary(3)
	if !strings.HasPrefix(got, "services[0].port: 0 is not a port (1-65535); services[1].port: 0 is not a port (1-65535); services[2].port") {
		t.Fatalf("summary %q", got)
	}
	if !strings.HasSuffix(got, "; and 147 more") {
		t.Fatalf("summary %q does not count the rest (150 errors)", got)
	}
}

func TestLiteralCredentialsWarn(t *testing.T) {
	r := Check([]byte(`_format_version: "3.0"
services:
- name: api
  host: api
  routes: [{name: api, paths: [/api]}]
  plugins:
  - name: openid-connect
    config: {issuer: "https://sso", client_id: [api], client_secret: [s3cr3t]}
  - name: session
    config: {secret: "{vault://env/session-secret}"}
consumers:
- username: u
  basicauth_credentials: [{username: u, password: hunter2}]
`))
	if !r.Valid() {
		t.Fatalf("errors: %s", r.Summary(5))
	}
	got := r.WarningSummary(5)
	for _, want := range []string{"services[0].plugins[0].config.client_secret[0]: is a literal credential", "consumers[0].basicauth_credentials[0].password: is a literal credential"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings %q lack %q", got, want)
		}
	}
	if strings.Contains(got, "session") || len(r.Warnings) != 2 {
		t.Errorf("a vault reference was warned of, or the count is off: %q", got)
	}
	if strings.Contains(got, "s3cr3t") || strings.Contains(got, "hunter2") {
		t.Errorf("a warning repeats the secret: %q", got)
	}
}

func TestMeshView(t *testing.T) {
	r := Check([]byte(`_format_version: "3.0"
upstreams:
- name: reviews
  targets: [{target: "reviews-v1:9080"}, {target: "10.0.0.7:9080"}]
services:
- {name: productpage, url: "http://productpage.bookinfo.svc.cluster.local:9080", routes: [{name: pp, paths: [/], preserve_host: true}]}
- {name: reviews, host: reviews}
- {name: details, host: details.bookinfo.svc, port: 9080}
- {name: pod, host: 10-0-0-8.bookinfo.pod.cluster.local}
- {name: ip, host: "192.168.1.10"}
- {name: outside, url: "https://api.example.com"}
- {name: ambiguous, host: ratings.bookinfo}
`))
	if !r.Valid() {
		t.Fatalf("errors: %s", r.Summary(5))
	}
	view := r.Mesh("edge")
	want := []string{"details.bookinfo.svc.cluster.local", "productpage.bookinfo.svc.cluster.local", "reviews-v1.edge.svc.cluster.local"}
	if strings.Join(view.Hosts, ",") != strings.Join(want, ",") {
		t.Fatalf("hosts %v, want %v", view.Hosts, want)
	}
	got := summarize(view.Bypasses, 0, 10)
	for _, want := range []string{
		"upstreams[0].targets[1] (upstream reviews, used by services[1] (service reviews)): 10.0.0.7 is an IP address",
		"services[3] (service pod): 10-0-0-8.bookinfo.pod.cluster.local is a pod's DNS name",
		"services[4] (service ip): 192.168.1.10 is an IP address",
		"services[0].routes[0].preserve_host: sends the client's Host header to service productpage",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("bypasses %q lack %q", got, want)
		}
	}
	if len(view.Bypasses) != 4 {
		t.Errorf("%d bypasses, want 4: %q", len(view.Bypasses), got)
	}
}

// A configuration at the size limit is checked in bounded time whatever it holds.
func TestLargeConfigurationIsBounded(t *testing.T) {
	data := largeConfig(MaxBytes)
	start := time.Now()
	r := Check(data)
	if !r.Valid() {
		t.Fatalf("errors: %s", r.Summary(3))
	}
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Fatalf("checking 1 MiB took %s", elapsed)
	}
	if r := Check(append(data, ' ')); r.Valid() || !r.TooLarge || !strings.Contains(r.Summary(1), "more than the 1048576 Portico takes") {
		t.Fatalf("over the limit: %s", r.Summary(1))
	}
}

// largeConfig is a valid configuration of exactly size bytes: services with routes and a
// plugin each, padded with a comment.
func largeConfig(size int) []byte {
	var b bytes.Buffer
	b.WriteString("_format_version: \"3.0\"\nservices:\n")
	for i := 0; b.Len() < size-300; i++ {
		b.WriteString("- name: svc-" + strconv.Itoa(i) + "\n  url: http://svc-" + strconv.Itoa(i) + ".apps.svc:8080\n  routes:\n  - name: route-" + strconv.Itoa(i) +
			"\n    paths: [/svc-" + strconv.Itoa(i) + "]\n  plugins:\n  - name: rate-limiting\n    config: {minute: 100}\n")
	}
	b.WriteString("#")
	for b.Len() < size {
		b.WriteByte('x')
	}
	return b.Bytes()
}

func FuzzCheck(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		for _, data := range corpus(f, dir) {
			f.Add(data)
		}
	}
	f.Add([]byte("a: &a [*a, *a, *a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		r := Check(data)
		_ = r.Summary(3)
		_ = r.Mesh("ns")
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Fatalf("checking %d bytes took %s", len(data), elapsed)
		}
	})
}

// BenchmarkCheck1MiB is what the reconcile spends on a new version of a configuration at the
// size limit: the checks, the mesh view and the content hash that names its copy.
func BenchmarkCheck1MiB(b *testing.B) {
	data := largeConfig(MaxBytes)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := Check(data)
		if !r.Valid() {
			b.Fatal(r.Summary(3))
		}
		_ = r.Mesh("ns")
		_ = sha256.Sum256(data)
	}
}
