// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package kongconfig checks a Kong declarative configuration (kong.yml) before it reaches a
// gateway: what Kong would refuse to load, what it would load but should not be given (a
// literal credential), and, for a gateway in an Istio mesh, which upstreams would bypass the
// sidecar. It is pure: bytes in, findings out.
package kongconfig

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// MaxBytes is the largest configuration Portico takes: the most a ConfigMap or Secret holds.
const MaxBytes = 1 << 20

// maxProblems bounds what a check collects: a message names a few, then counts the rest.
const maxProblems = 100

// SupportedFormatVersions are the _format_version values Kong 3 loads.
var SupportedFormatVersions = []string{"1.1", "2.1", "3.0"}

// Problem is one finding at a path in the configuration (services[2].routes[0].paths[1]).
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

type problems struct {
	list  []Problem
	limit int
	// dropped counts findings past the limit.
	dropped int
}

func (p *problems) full() bool { return p.limit > 0 && len(p.list) >= p.limit }

func (p *problems) add(path, format string, args ...any) {
	if p.full() {
		p.dropped++
		return
	}
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	p.list = append(p.list, Problem{Path: path, Message: msg})
}

// Report is what Check found.
type Report struct {
	// Errors are what Kong would refuse: a configuration with any is not used.
	Errors []Problem
	// Warnings are what Kong would load but should not be given.
	Warnings []Problem
	// More counts errors past those listed.
	More int
	// TooLarge tells that the configuration was refused unread, for its size.
	TooLarge bool

	doc      map[string]any
	entities entities
}

// Valid tells whether the configuration may be given to Kong.
func (r *Report) Valid() bool { return len(r.Errors) == 0 }

// Summary is the first few errors, then how many more; "" when there are none.
func (r *Report) Summary(first int) string {
	return summarize(r.Errors, r.More, first)
}

// WarningSummary is the first few warnings, then how many more.
func (r *Report) WarningSummary(first int) string { return summarize(r.Warnings, 0, first) }

func summarize(list []Problem, more, first int) string {
	if len(list) == 0 {
		return ""
	}
	shown := list[:min(first, len(list))]
	parts := make([]string, len(shown))
	for i, p := range shown {
		parts[i] = p.String()
	}
	out := strings.Join(parts, "; ")
	if rest := len(list) - len(shown) + more; rest > 0 {
		out += fmt.Sprintf("; and %d more", rest)
	}
	return out
}

// Check parses data (YAML or JSON) and checks it against Kong's schema and the rules the
// schema cannot say.
func Check(data []byte) *Report {
	r := &Report{}
	errs := problems{limit: maxProblems}
	if len(data) > MaxBytes {
		errs.add("", "the configuration is %d bytes, more than the %d Portico takes", len(data), MaxBytes)
		r.Errors, r.TooLarge = errs.list, true
		return r
	}
	doc, err := parse(data)
	if err != nil {
		errs.add("", "%v", err)
		r.Errors = errs.list
		return r
	}
	r.doc = doc
	root, err := loadSchema()
	if err != nil {
		// The embedded schema is part of the build; a test loads it.
		panic(fmt.Sprintf("Kong's declarative schema does not load: %v", err))
	}
	r.entities = collect(doc)
	checkFormatVersion(doc, &errs)
	root.validate(doc, "", &errs)
	checkEntities(r.entities, &errs)
	warnings := problems{limit: maxProblems}
	lintCredentials(r.entities, &warnings)
	sortByPath(errs.list)
	sortByPath(warnings.list)
	r.Errors, r.More, r.Warnings = errs.list, errs.dropped, warnings.list
	return r
}

// parse reads YAML or JSON into plain maps, slices and json.Numbers.
func parse(data []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the configuration is empty")
	}
	asJSON, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("not YAML or JSON: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(asJSON))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not YAML or JSON: %w", err)
	}
	if v == nil {
		return nil, errors.New("the configuration is empty")
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the configuration must be a mapping (with _format_version, services, ...), not %s", article(typeOf(v)))
	}
	return doc, nil
}

func checkFormatVersion(doc map[string]any, p *problems) {
	v, ok := doc["_format_version"]
	if !ok {
		p.add("_format_version", `is required (Kong 3 takes "3.0")`)
		return
	}
	s, ok := v.(string)
	if !ok {
		return // the schema says it must be a string
	}
	if slices.Contains(SupportedFormatVersions, s) {
		return
	}
	p.add("_format_version", "%q is not a version Kong 3 loads (%s)", s, strings.Join(SupportedFormatVersions, ", "))
}

// entity is one service, route, upstream, consumer or plugin, with where it sits.
type entity struct {
	path   string
	fields map[string]any
	// parentService and parentRoute name the entity it is nested in, for plugins and routes.
	parentService, parentRoute, parentConsumer string
}

// entities walks the configuration's entities of one kind, top-level and nested.
type entities struct {
	services, routes, upstreams, consumers, plugins []entity
}

func collect(doc map[string]any) entities {
	var e entities
	each := func(v any, path string, fn func(map[string]any, string)) {
		list, _ := v.([]any)
		for i, item := range list {
			if m, ok := item.(map[string]any); ok {
				fn(m, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	addPlugins := func(v any, path string, service, route, consumer string) {
		each(v, path, func(m map[string]any, at string) {
			e.plugins = append(e.plugins, entity{path: at, fields: m, parentService: service, parentRoute: route, parentConsumer: consumer})
		})
	}
	each(doc["services"], "services", func(svc map[string]any, at string) {
		e.services = append(e.services, entity{path: at, fields: svc})
		name := str(svc, "name")
		addPlugins(svc["plugins"], at+".plugins", name, "", "")
		each(svc["routes"], at+".routes", func(route map[string]any, rat string) {
			e.routes = append(e.routes, entity{path: rat, fields: route, parentService: name})
			addPlugins(route["plugins"], rat+".plugins", "", str(route, "name"), "")
		})
	})
	each(doc["routes"], "routes", func(route map[string]any, at string) {
		e.routes = append(e.routes, entity{path: at, fields: route})
		addPlugins(route["plugins"], at+".plugins", "", str(route, "name"), "")
	})
	each(doc["upstreams"], "upstreams", func(u map[string]any, at string) {
		e.upstreams = append(e.upstreams, entity{path: at, fields: u})
	})
	each(doc["consumers"], "consumers", func(c map[string]any, at string) {
		e.consumers = append(e.consumers, entity{path: at, fields: c})
		addPlugins(c["plugins"], at+".plugins", "", "", str(c, "username"))
	})
	addPlugins(doc["plugins"], "plugins", "", "", "")
	return e
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// checkEntities checks what Kong checks across entities: unique names, references that
// resolve, ports in range, a service's address given once.
func checkEntities(e entities, p *problems) {
	services := unique(e.services, "service", "name", p)
	routes := unique(e.routes, "route", "name", p)
	unique(e.upstreams, "upstream", "name", p)
	consumers := unique(e.consumers, "consumer", "username", p)
	unique(e.consumers, "consumer", "custom_id", p)

	for _, s := range e.services {
		checkService(s, p)
	}
	for _, r := range e.routes {
		checkRoute(r, services, p)
	}
	for _, u := range e.upstreams {
		targets, _ := u.fields["targets"].([]any)
		for i, t := range targets {
			if m, ok := t.(map[string]any); ok {
				if target := str(m, "target"); target != "" {
					if _, _, err := SplitTarget(target); err != nil {
						p.add(fmt.Sprintf("%s.targets[%d].target", u.path, i), "%v", err)
					}
				}
			}
		}
	}
	pluginScopes := map[string]string{}
	for _, pl := range e.plugins {
		refs := []struct{ field, kind string }{{"service", "service"}, {"route", "route"}, {"consumer", "consumer"}}
		for _, ref := range refs {
			name := str(pl.fields, ref.field)
			if name == "" {
				continue
			}
			known := map[string]map[string]bool{"service": services, "route": routes, "consumer": consumers}[ref.kind]
			if !known[name] {
				p.add(join(pl.path, ref.field), "names %s %q, which the configuration does not define", ref.kind, name)
			}
		}
		scope := strings.Join([]string{str(pl.fields, "name"), str(pl.fields, "instance_name"),
			cmp.Or(str(pl.fields, "service"), pl.parentService), cmp.Or(str(pl.fields, "route"), pl.parentRoute),
			cmp.Or(str(pl.fields, "consumer"), pl.parentConsumer)}, "\x00")
		if first, dup := pluginScopes[scope]; dup {
			p.add(pl.path, "plugin %q is configured twice for the same service, route and consumer (first at %s)", str(pl.fields, "name"), first)
		} else {
			pluginScopes[scope] = pl.path
		}
	}
}

// unique reports entities of a kind that share a name, and returns the names.
func unique(list []entity, kind, field string, p *problems) map[string]bool {
	seen := map[string]string{}
	names := map[string]bool{}
	for _, e := range list {
		name := str(e.fields, field)
		if name == "" {
			continue
		}
		if first, dup := seen[name]; dup {
			p.add(join(e.path, field), "%s %s %q is already defined at %s", kind, field, name, first)
			continue
		}
		seen[name] = e.path
		names[name] = true
	}
	for _, e := range list {
		if id := str(e.fields, "id"); id != "" {
			names[id] = true
		}
	}
	return names
}

func checkService(s entity, p *problems) {
	url := str(s.fields, "url")
	if url != "" {
		for _, f := range []string{"host", "port", "protocol", "path"} {
			if _, set := s.fields[f]; set {
				p.add(join(s.path, f), "is set together with url, which already gives it: set one or the other")
			}
		}
		if _, err := ServiceAddress(s.fields); err != nil {
			p.add(join(s.path, "url"), "%v", err)
		}
	} else if _, ok := s.fields["host"]; !ok {
		p.add(s.path, `one of the fields "url" or "host" is required`)
	}
	if n, ok := s.fields["port"].(json.Number); ok {
		checkPort(n.String(), join(s.path, "port"), p)
	}
}

func checkPort(v, path string, p *problems) {
	port, err := strconv.Atoi(v)
	if err != nil || port < 1 || port > 65535 {
		p.add(path, "%s is not a port (1-65535)", v)
	}
}

// routeMatchers are the fields of which an HTTP route needs one (Kong refuses a route that
// matches nothing).
var routeMatchers = []string{"paths", "hosts", "methods", "headers", "snis", "sources", "destinations", "expression"}

func checkRoute(r entity, services map[string]bool, p *problems) {
	matches := false
	for _, f := range routeMatchers {
		switch v := r.fields[f].(type) {
		case []any:
			matches = matches || len(v) > 0
		case map[string]any:
			matches = matches || len(v) > 0
		case string:
			matches = matches || v != ""
		}
	}
	if !matches {
		p.add(r.path, "matches no request: set one of %s", strings.Join(routeMatchers[:5], ", "))
	}
	if svc, ok := r.fields["service"].(map[string]any); ok && r.parentService == "" {
		name := cmp.Or(str(svc, "name"), str(svc, "id"))
		if name != "" && !services[name] {
			p.add(join(r.path, "service"), "names service %q, which the configuration does not define", name)
		}
	}
	paths, _ := r.fields["paths"].([]any)
	for i, v := range paths {
		if s, ok := v.(string); ok && !strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "~") {
			p.add(fmt.Sprintf("%s.paths[%d]", r.path, i), "%q must begin with / (or ~ for a regular expression)", s)
		}
	}
}

// sortByPath puts findings in the order of the file: services[2] before services[10].
func sortByPath(list []Problem) {
	sort.SliceStable(list, func(i, j int) bool { return naturalLess(list[i].Path, list[j].Path) })
}

// naturalLess compares paths with their indices as numbers.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, _ := strconv.Atoi(a[:da])
			nb, _ := strconv.Atoi(b[:db])
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && n < 9 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
