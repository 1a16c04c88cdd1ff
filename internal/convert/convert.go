// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package convert moves a value between Go types that share one JSON shape: a typed API
// object and its apply configuration, a typed object and its unstructured form.
package convert

import (
	"encoding/json"
	"fmt"
)

// To returns in decoded as a new T.
func To[T any](in any) (*T, error) {
	out := new(T)
	if err := Into(in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Into decodes in into out, which must be a pointer; fields of out that in does not set keep
// their values, so pass a zero value to replace.
func Into(in, out any) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encoding %T: %w", in, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decoding into %T: %w", out, err)
	}
	return nil
}
