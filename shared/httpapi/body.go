package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leadflow/leadflow/shared/lead"
)

// maxDepth bounds JSON nesting: no leadflow body needs more.
const maxDepth = 8

// mediaType returns the request's media type, or EUNSUPPORTED when it is
// missing or not one of allowed.
func mediaType(c *call, allowed ...string) (string, error) {
	ct := header(c.req, "content-type")
	if ct == "" {
		return "", lead.Errorf(lead.EUNSUPPORTED, "Content-Type is required (%s)", strings.Join(allowed, " or "))
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", lead.Errorf(lead.EUNSUPPORTED, "malformed Content-Type")
	}
	for _, a := range allowed {
		if mt == a {
			return mt, nil
		}
	}
	return "", lead.Errorf(lead.EUNSUPPORTED, "Content-Type %s is not supported; use %s", truncate(mt, 60), strings.Join(allowed, " or "))
}

// checkJSON rejects what encoding/json would silently accept: invalid UTF-8
// (decoded as U+FFFD), duplicate keys (last one wins), deep nesting and
// trailing data.
func checkJSON(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return lead.Errorf(lead.EINVALID, "body is empty")
	}
	if !utf8.Valid(body) {
		return lead.Errorf(lead.EINVALID, "body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object  bool
		keyNext bool // in an object, the next token is a key or '}'
		keys    map[string]bool
	}
	var stack []*frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].keyNext = true
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) > 0 {
				return lead.Errorf(lead.EINVALID, "invalid JSON: unexpected end of input")
			}
			break
		}
		if err != nil {
			return lead.Errorf(lead.EINVALID, "invalid JSON: %s", jsonMessage(err))
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].keyNext && tok != json.Delim('}') {
			top := stack[n-1]
			key, _ := tok.(string)
			if top.keys[key] {
				return &lead.Error{Code: lead.EINVALID, Field: truncate(key, 60), Message: "duplicate key in JSON object"}
			}
			top.keys[key], top.keyNext = true, false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= maxDepth {
				return lead.Errorf(lead.EINVALID, "JSON nested deeper than %d levels", maxDepth)
			}
			obj := tok == json.Delim('{')
			stack = append(stack, &frame{object: obj, keyNext: obj, keys: map[string]bool{}})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
		if len(stack) == 0 && dec.More() {
			return lead.Errorf(lead.EINVALID, "invalid JSON: data after the top-level value")
		}
	}
	return nil
}

// decodeStrict decodes a checked JSON body into v, rejecting unknown fields
// and naming the field of a type error.
func decodeStrict(body []byte, v any) error {
	if err := checkJSON(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &lead.Error{Code: lead.EINVALID, Field: te.Field, Message: fmt.Sprintf("must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)}
		}
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
			return &lead.Error{Code: lead.EINVALID, Field: name, Message: "unknown field"}
		}
		return lead.Errorf(lead.EINVALID, "invalid JSON: %s", jsonMessage(err))
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	}
	return "a number"
}

func jsonMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

// formFields reads a form post, JSON or urlencoded, into flat string fields.
// JSON values must be strings, numbers, booleans or null.
func formFields(c *call) (map[string]string, error) {
	mt, err := mediaType(c, "application/json", "application/x-www-form-urlencoded")
	if err != nil {
		return nil, err
	}
	if mt == "application/x-www-form-urlencoded" {
		if !utf8.Valid(c.body) {
			return nil, lead.Errorf(lead.EINVALID, "body is not valid UTF-8")
		}
		vals, err := url.ParseQuery(string(c.body))
		if err != nil {
			return nil, lead.Errorf(lead.EINVALID, "malformed urlencoded body")
		}
		out := make(map[string]string, len(vals))
		for k, vs := range vals {
			if len(vs) > 1 {
				return nil, &lead.Error{Code: lead.EINVALID, Field: k, Message: "field given more than once"}
			}
			if !utf8.ValidString(k) || !utf8.ValidString(vs[0]) {
				return nil, &lead.Error{Code: lead.EINVALID, Field: k, Message: "not valid UTF-8"}
			}
			out[k] = vs[0]
		}
		return out, nil
	}
	if err := checkJSON(c.body); err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &raw); err != nil {
		return nil, lead.Errorf(lead.EINVALID, "body must be a JSON object of fields")
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		s, err := scalar(v)
		if err != nil {
			return nil, &lead.Error{Code: lead.EINVALID, Field: k, Message: err.Error()}
		}
		out[k] = s
	}
	return out, nil
}

func scalar(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0 || string(v) == "null":
		return "", nil
	case v[0] == '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err
	case v[0] == '{' || v[0] == '[':
		return "", errors.New("must be a string, number or boolean")
	}
	return string(v), nil // numbers and booleans as written
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
