package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

var (
	configType      = reflect.TypeFor[Config]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// walker checks raw JSON (decoded with UseNumber) against a Go type, using the same json tags as the
// decoder, so the schema can never drift from the types: provider_definitions and its rules are
// covered because they are fields of Config.
type walker struct {
	unknown []string
	near    map[string]string
	probs   []Problem
}

func (w *walker) bad(path, format string, args ...any) {
	w.probs = append(w.probs, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// unknownKey records a key the schema does not know, with the known key of the same object it most
// likely misspells: within two edits (one for keys of four letters or fewer), case ignored.
func (w *walker) unknownKey(path, key string, fields map[string]reflect.Type) {
	w.unknown = append(w.unknown, path)
	limit := 2
	if len(key) <= 4 {
		limit = 1
	}
	if near := Nearest(strings.ToLower(key), sortedNames(fields), limit); near != "" {
		if w.near == nil {
			w.near = map[string]string{}
		}
		w.near[path] = near
	}
}

func (w *walker) walk(v any, t reflect.Type, path string) {
	if v == nil {
		return // null leaves the zero value, as encoding/json does
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerType) {
		// Opaque to the walker (classify.RuleClass): let the type judge itself so its message gets a path.
		raw, err := json.Marshal(v)
		if err == nil {
			err = reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw)
		}
		if err != nil {
			w.bad(path, "%v", err)
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		w.walk(v, t.Elem(), path)
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			w.bad(path, "expected an object, got %s", jsonKind(v))
			return
		}
		fields := structFields(t)
		for _, k := range sortedNames(m) {
			f, ok := fields[k]
			if !ok {
				w.unknownKey(keyPath(path, k), k, fields)
				delete(m, k)
				continue
			}
			w.walk(m[k], f, keyPath(path, k))
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			w.bad(path, "expected an object, got %s", jsonKind(v))
			return
		}
		for _, k := range sortedNames(m) {
			w.walk(m[k], t.Elem(), keyPath(path, k))
		}
	case reflect.Slice, reflect.Array:
		a, ok := v.([]any)
		if !ok {
			w.bad(path, "expected an array, got %s", jsonKind(v))
			return
		}
		if t.Kind() == reflect.Array && len(a) != t.Len() {
			w.bad(path, "expected an array of %d items, got %d", t.Len(), len(a))
			return
		}
		for i, e := range a {
			w.walk(e, t.Elem(), path+"["+strconv.Itoa(i)+"]")
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			w.bad(path, "expected a string, got %s", jsonKind(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			w.bad(path, "expected true or false, got %s", jsonKind(v))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			w.bad(path, "expected an integer, got %s", jsonKind(v))
			return
		}
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			w.bad(path, "expected an integer, got %s", n)
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			w.bad(path, "expected a number, got %s", jsonKind(v))
		}
	case reflect.Interface:
		// anything goes
	default:
		w.bad(path, "unsupported schema type %s", t)
	}
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// structFields maps the JSON names of t's fields (exact spelling) to their types.
func structFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range structFields(ft) {
					m[k] = v
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}

func jsonKind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "the number " + string(v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// keyPath appends key to a dotted JSON path. Keys that would make the path ambiguous (dots, brackets,
// spaces, the empty name) are written as ["…"].
func keyPath(parent, key string) string {
	if key == "" || strings.ContainsAny(key, ".[]\" \t\n\\") || !isPrintable(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func isPrintable(s string) bool {
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}
