// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package kongconfig

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// schemaJSON is Kong's published schema of the declarative format (see SCHEMA.md).
//
//go:embed kong-declarative-config.schema.json
var schemaJSON []byte

// schema is one node of a JSON Schema, with the keywords Kong's schema uses (draft-04: type,
// properties, patternProperties, additionalProperties, items, required, anyOf, oneOf, $ref).
// A keyword this does not know makes loading fail, so a newer schema cannot be half-checked.
type schema struct {
	Types                []string
	Properties           map[string]*schema
	PatternProperties    []patternSchema
	AdditionalProperties *schema // nil: anything goes
	NoAdditional         bool
	Items                *schema
	Required             []string
	AnyOf, OneOf         []*schema
	// ref names a definition, target is it: a node with a ref has nothing else.
	ref    string
	target *schema
}

type patternSchema struct {
	pattern *regexp.Regexp
	schema  *schema
}

var knownKeywords = map[string]bool{
	"$schema": true, "$ref": true, "type": true, "properties": true, "patternProperties": true,
	"additionalProperties": true, "items": true, "required": true, "anyOf": true, "oneOf": true,
	"description": true, "definitions": true,
}

var loadSchema = sync.OnceValues(func() (*schema, error) {
	var raw map[string]any
	if err := json.Unmarshal(schemaJSON, &raw); err != nil {
		return nil, err
	}
	defs := map[string]*schema{}
	var refs []*schema
	root, err := compile(raw, "#", &refs)
	if err != nil {
		return nil, err
	}
	if d, ok := raw["definitions"].(map[string]any); ok {
		for name, v := range d {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("definition %s is not an object", name)
			}
			if defs[name], err = compile(m, "#/definitions/"+name, &refs); err != nil {
				return nil, err
			}
		}
	}
	// Each $ref points at its definition; validate follows it.
	for _, r := range refs {
		if r.target = defs[strings.TrimPrefix(r.ref, "#/definitions/")]; r.target == nil {
			return nil, fmt.Errorf("unresolved $ref %s", r.ref)
		}
	}
	return root, nil
})

func compile(raw map[string]any, at string, refs *[]*schema) (*schema, error) {
	s := &schema{}
	for k := range raw {
		if !knownKeywords[k] {
			return nil, fmt.Errorf("%s: keyword %q is not supported", at, k)
		}
	}
	if ref, ok := raw["$ref"].(string); ok {
		s.ref = ref
		*refs = append(*refs, s)
		return s, nil
	}
	switch t := raw["type"].(type) {
	case string:
		s.Types = []string{t}
	case []any:
		for _, v := range t {
			s.Types = append(s.Types, fmt.Sprint(v))
		}
	}
	if err := compileObject(s, raw, at, refs); err != nil {
		return nil, err
	}
	if items, ok := raw["items"]; ok {
		var err error
		if s.Items, err = sub(items, at+"/items", refs); err != nil {
			return nil, err
		}
	}
	if req, ok := raw["required"].([]any); ok {
		for _, r := range req {
			s.Required = append(s.Required, fmt.Sprint(r))
		}
	}
	for key, dst := range map[string]*[]*schema{"anyOf": &s.AnyOf, "oneOf": &s.OneOf} {
		list, _ := raw[key].([]any)
		for i, v := range list {
			node, err := sub(v, fmt.Sprintf("%s/%s/%d", at, key, i), refs)
			if err != nil {
				return nil, err
			}
			*dst = append(*dst, node)
		}
	}
	return s, nil
}

func sub(v any, at string, refs *[]*schema) (*schema, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a schema", at)
	}
	return compile(m, at, refs)
}

// compileObject reads the keywords about an object's fields: properties, patternProperties
// (in a fixed order) and additionalProperties.
func compileObject(s *schema, raw map[string]any, at string, refs *[]*schema) error {
	var err error
	if props, ok := raw["properties"].(map[string]any); ok {
		s.Properties = make(map[string]*schema, len(props))
		for name, v := range props {
			if s.Properties[name], err = sub(v, at+"/properties/"+name, refs); err != nil {
				return err
			}
		}
	}
	if props, ok := raw["patternProperties"].(map[string]any); ok {
		for _, p := range slices.Sorted(maps.Keys(props)) {
			re, err := regexp.Compile(p)
			if err != nil {
				return fmt.Errorf("%s: pattern %q: %w", at, p, err)
			}
			node, err := sub(props[p], at+"/patternProperties/"+p, refs)
			if err != nil {
				return err
			}
			s.PatternProperties = append(s.PatternProperties, patternSchema{pattern: re, schema: node})
		}
	}
	switch a := raw["additionalProperties"].(type) {
	case bool:
		s.NoAdditional = !a
	case map[string]any:
		s.AdditionalProperties, err = compile(a, at+"/additionalProperties", refs)
	}
	return err
}

// validate appends to p what value breaks of s, at path.
func (s *schema) validate(value any, path string, p *problems) {
	for s.target != nil {
		s = s.target
	}
	if p.full() {
		return
	}
	if len(s.Types) > 0 && !slices.ContainsFunc(s.Types, func(t string) bool { return hasType(value, t) }) {
		p.add(path, "%s", "must be "+article(strings.Join(s.Types, " or "))+", not "+article(typeOf(value)))
		return
	}
	switch v := value.(type) {
	case map[string]any:
		s.validateObject(v, path, p)
	case []any:
		if s.Items != nil {
			for i, item := range v {
				s.Items.validate(item, fmt.Sprintf("%s[%d]", path, i), p)
			}
		}
	}
	if len(s.AnyOf) > 0 && !slices.ContainsFunc(s.AnyOf, func(alt *schema) bool { return alt.accepts(value, path) }) {
		p.add(path, "%s", alternativesMessage(s.AnyOf, false))
	}
	if len(s.OneOf) > 0 {
		matched := 0
		for _, alt := range s.OneOf {
			if alt.accepts(value, path) {
				matched++
			}
		}
		if matched != 1 {
			p.add(path, "%s", alternativesMessage(s.OneOf, true))
		}
	}
}

func (s *schema) validateObject(v map[string]any, path string, p *problems) {
	for _, name := range s.Required {
		if _, ok := v[name]; !ok {
			p.add(path, "field %q is required", name)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(v)) {
		at := join(path, k)
		if prop, ok := s.Properties[k]; ok {
			prop.validate(v[k], at, p)
			continue
		}
		matched := false
		for _, pp := range s.PatternProperties {
			if pp.pattern.MatchString(k) {
				matched = true
				pp.schema.validate(v[k], at, p)
			}
		}
		switch {
		case matched:
		case s.AdditionalProperties != nil:
			s.AdditionalProperties.validate(v[k], at, p)
		case s.NoAdditional:
			p.add(at, "%s", "unknown field")
		}
	}
}

// accepts tells whether value matches s, without reporting why not.
func (s *schema) accepts(value any, path string) bool {
	var p problems
	p.limit = 1
	s.validate(value, path, &p)
	return len(p.list) == 0
}

// alternativesMessage says what anyOf/oneOf asks for; Kong's schema uses them for "one of
// these fields is required", which reads best said so.
func alternativesMessage(alts []*schema, exactlyOne bool) string {
	var fields []string
	for _, a := range alts {
		if len(a.Required) != 1 || len(a.Types) > 0 || len(a.Properties) > 0 {
			if exactlyOne {
				return "must match exactly one of the allowed forms"
			}
			return "must match one of the allowed forms"
		}
		fields = append(fields, fmt.Sprintf("%q", a.Required[0]))
	}
	return "one of the fields " + strings.Join(fields, " or ") + " is required"
}

func hasType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	}
	return false
}

func typeOf(v any) string {
	switch n := v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	case json.Number:
		if _, err := n.Int64(); err == nil {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func article(noun string) string {
	if strings.ContainsAny(noun[:1], "aeiou") {
		return "an " + noun
	}
	return "a " + noun
}

// join extends a path with a field: services[2].routes, or the field alone at the top.
func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}
