// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package metricsauth guards the metrics endpoint: a caller needs a bearer token that the API
// server authenticates (TokenReview) and that may get the path it asks for
// (SubjectAccessReview, as with `nonResourceURLs: ["/metrics"]` in a ClusterRole).
//
// controller-runtime ships such a filter, but it links the API server's whole authentication
// stack (CEL, OpenTelemetry, gRPC): 30 MB of the operator's binary and 16 MiB of its resident
// memory for two API calls (docs/benchmarks/NOTES.md).
package metricsauth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authenticationclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

const (
	// A scraper asks every 15 to 60 s: remembering a verdict briefly spares the API server two
	// reviews per scrape, and a revoked token or binding still stops working within a minute.
	allowedFor = time.Minute
	deniedFor  = 10 * time.Second
	// reviewTimeout bounds each review, so a slow API server cannot pile up scrapes.
	reviewTimeout = 10 * time.Second
	// maxRemembered bounds the memory a caller sending many different tokens can take.
	maxRemembered = 256
)

// FilterProvider is a metricsserver.Options.FilterProvider.
func FilterProvider(cfg *rest.Config, httpClient *http.Client) (metricsserver.Filter, error) {
	authn, err := authenticationclient.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	authz, err := authorizationclient.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	g := &Guard{TokenReviews: authn.TokenReviews(), AccessReviews: authz.SubjectAccessReviews(), Now: time.Now}
	return func(log logr.Logger, next http.Handler) (http.Handler, error) {
		return g.Wrap(log, next), nil
	}, nil
}

// Guard admits requests whose bearer token may get the requested path.
type Guard struct {
	TokenReviews  authenticationclient.TokenReviewInterface
	AccessReviews authorizationclient.SubjectAccessReviewInterface
	Now           func() time.Time

	mu         sync.Mutex
	remembered map[[sha256.Size]byte]verdict
}

// verdict is an HTTP status and what to tell the caller; the key it is kept under is a hash, so
// no token stays in memory.
type verdict struct {
	status  int
	message string
	until   time.Time
}

// Wrap serves next to the callers the API server allows.
func (g *Guard) Wrap(log logr.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		token, ok := bearerToken(req)
		if !ok {
			http.Error(w, "Unauthorized: a bearer token is required", http.StatusUnauthorized)
			return
		}
		verb := strings.ToLower(req.Method)
		key := sha256.Sum256([]byte(verb + "\x00" + req.URL.Path + "\x00" + token))
		v, ok := g.recall(key)
		if !ok {
			var err error
			if v, err = g.review(req.Context(), token, verb, req.URL.Path); err != nil {
				// The error comes from the API server and names no token.
				log.Error(err, "reviewing a metrics request")
				http.Error(w, "Reviewing the request failed", http.StatusInternalServerError)
				return
			}
			g.remember(key, v)
		}
		if v.status != http.StatusOK {
			log.V(4).Info("metrics request refused", "status", v.status, "reason", v.message)
			http.Error(w, v.message, v.status)
			return
		}
		next.ServeHTTP(w, req)
	})
}

func bearerToken(req *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(req.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

func (g *Guard) review(ctx context.Context, token, verb, path string) (verdict, error) {
	ctx, cancel := context.WithTimeout(ctx, reviewTimeout)
	defer cancel()
	now := g.Now()
	tr, err := g.TokenReviews.Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil {
		return verdict{}, fmt.Errorf("token review: %w", err)
	}
	if !tr.Status.Authenticated {
		return verdict{status: http.StatusUnauthorized, message: "Unauthorized", until: now.Add(deniedFor)}, nil
	}
	user := tr.Status.User
	extra := make(map[string]authorizationv1.ExtraValue, len(user.Extra))
	for k, v := range user.Extra {
		extra[k] = authorizationv1.ExtraValue(v)
	}
	sar, err := g.AccessReviews.Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: user.Username, UID: user.UID, Groups: user.Groups, Extra: extra,
		NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: path, Verb: verb},
	}}, metav1.CreateOptions{})
	if err != nil {
		return verdict{}, fmt.Errorf("subject access review for %s: %w", user.Username, err)
	}
	if !sar.Status.Allowed || sar.Status.Denied {
		return verdict{status: http.StatusForbidden, message: fmt.Sprintf("Forbidden: %s may not %s %s", user.Username, verb, path),
			until: now.Add(deniedFor)}, nil
	}
	return verdict{status: http.StatusOK, until: now.Add(allowedFor)}, nil
}

func (g *Guard) recall(key [sha256.Size]byte) (verdict, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	v, ok := g.remembered[key]
	return v, ok && g.Now().Before(v.until)
}

func (g *Guard) remember(key [sha256.Size]byte, v verdict) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.remembered == nil {
		g.remembered = map[[sha256.Size]byte]verdict{}
	}
	if len(g.remembered) >= maxRemembered {
		now := g.Now()
		for k, old := range g.remembered {
			if !now.Before(old.until) {
				delete(g.remembered, k)
			}
		}
		if len(g.remembered) >= maxRemembered {
			clear(g.remembered)
		}
	}
	g.remembered[key] = v
}
