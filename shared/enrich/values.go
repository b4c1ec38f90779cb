package enrich

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/leadflow/leadflow/shared/lead"
)

// fieldTech is the account's technology list; the lead has no field for it.
const fieldTech = "tech"

// coerce converts a provider's raw value for field into the type the
// pipeline applies: int for employees, []string for tech, a string
// otherwise (an ISO alpha-2 code for country). It returns nil for an empty
// value and an error for one it cannot read.
func coerce(field string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch field {
	case lead.FieldEmployees:
		return coerceEmployees(v)
	case fieldTech:
		return coerceTech(v)
	}
	var s string
	switch x := v.(type) {
	case string:
		s = strings.Join(strings.Fields(x), " ")
	case json.Number:
		s = x.String()
	default:
		return nil, fmt.Errorf("%s: want text, got %T", field, v)
	}
	if s == "" {
		return nil, nil
	}
	if field == lead.FieldCountry {
		code, ok := lead.CountryCode(s)
		if !ok {
			return nil, fmt.Errorf("country: unknown country %q", s)
		}
		return code, nil
	}
	return s, nil
}

func coerceEmployees(v any) (any, error) {
	var n int
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil || f < 0 || f > lead.MaxEmployees {
			return nil, fmt.Errorf("employees: not a head count")
		}
		n = int(f)
	case string:
		var err error
		if n, err = lead.ParseEmployees(x); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("employees: want a number, got %T", v)
	}
	if n == 0 {
		return nil, nil
	}
	return n, nil
}

func coerceTech(v any) (any, error) {
	var parts []string
	switch x := v.(type) {
	case string:
		parts = strings.FieldsFunc(x, func(r rune) bool { return r == ';' || r == ',' })
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("tech: want a list of names, got a %T in it", e)
			}
			parts = append(parts, s)
		}
	default:
		return nil, fmt.Errorf("tech: want a list of names, got %T", v)
	}
	var out []string
	for _, p := range parts {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
