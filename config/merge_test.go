package config

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const activeConfig = `{
  "version": 1,
  "zzz_unknown": {"kept": [1, 2]},
  "providers": {
    "github":   {"accounts": {"me": {"secret": {"backend": "env", "variable": "GH_TOKEN"}}}},
    "codex": {"kind": "codex", "config_dir_env": "CODEX_HOME", "accounts": {"old": {"config_dir": "~/old", "secret": {"backend": "file", "path": "~/old/auth.json"}}}},
    "linear": {"accounts": {"l": {"secret": {"backend": "env", "variable": "LINEAR_TOKEN"}}}}
  },
  "profiles": {
    "gh": {"providers": ["github:me#identity"]},
    "codex-max": {"providers": ["codex:old#codex-max"]}
  }
}
`

func TestMergeCodexKeepsTheRest(t *testing.T) {
	cand := CodexMax(func(string) string { return "" })
	out, err := MergeCodex([]byte(activeConfig), cand)
	if err != nil {
		t.Fatal(err)
	}
	for _, kept := range []string{
		`"github":   {"accounts": {"me": {"secret": {"backend": "env", "variable": "GH_TOKEN"}}}},`,
		`"linear": {"accounts": {"l": {"secret": {"backend": "env", "variable": "LINEAR_TOKEN"}}}}`,
		`"gh": {"providers": ["github:me#identity"]},`,
		`"zzz_unknown": {"kept": [1, 2]},`,
	} {
		if !bytes.Contains(out, []byte(kept)) {
			t.Errorf("lost or changed %s in:\n%s", kept, out)
		}
	}
	if bytes.Contains(out, []byte(`"old"`)) || !bytes.Contains(out, []byte(`"max-3"`)) || !bytes.Contains(out, []byte(`"codex-mini"`)) ||
		!bytes.Contains(out, []byte(`"codex-health"`)) {
		t.Fatalf("codex not merged:\n%s", out)
	}
	// Key order: github before codex before linear, as it was.
	if g, c, l := bytes.Index(out, []byte(`"github"`)), bytes.Index(out, []byte(`"codex": {`)), bytes.Index(out, []byte(`"linear"`)); !(g < c && c < l) {
		t.Fatalf("order changed:\n%s", out)
	}
	if _, err := Parse(out, "merged.json", func(k string) string {
		if k == "HOME" {
			return "/home/u"
		}
		return ""
	}); err != nil {
		t.Fatalf("merged config does not validate: %v\n%s", err, out)
	}
	again, err := MergeCodex(out, cand)
	if err != nil || !bytes.Equal(again, out) {
		t.Fatalf("a second merge changed it (err %v):\n%s", err, again)
	}
}

func TestMergeCodexRefusesBadInput(t *testing.T) {
	if _, err := MergeCodex([]byte(activeConfig), []byte(`{"providers": {}}`)); err == nil || !strings.Contains(err.Error(), "no providers.codex") {
		t.Fatalf("candidate without codex: %v", err)
	}
	if _, err := MergeCodex([]byte(`[1]`), CodexMax(func(string) string { return "" })); err == nil {
		t.Fatal("an active config that is not an object merged")
	}
}

// FuzzMergeCodex: any active text either merges into valid JSON or is refused; nothing panics.
func FuzzMergeCodex(f *testing.F) {
	f.Add([]byte(activeConfig))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"providers": {}, "profiles": {"a": {"providers": ["x"]}}}`))
	f.Add([]byte(`{"providers": {"codex": 1}}`))
	f.Add([]byte(`{"a": "\"}\\", "providers": {"codex": {"x": [1, {"y": "}"}]}}}`))
	cand := CodexMax(func(string) string { return "" })
	f.Fuzz(func(t *testing.T, active []byte) {
		out, err := MergeCodex(active, cand)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("%q merged into invalid %q", active, out)
		}
		// Everything but the merged members is as it was, and the merged members are the candidate's.
		var before, after, want map[string]any
		if json.Unmarshal(active, &before) != nil || json.Unmarshal(out, &after) != nil || json.Unmarshal(cand, &want) != nil {
			t.Fatalf("not objects: %q -> %q", active, out)
		}
		for _, sec := range []string{"providers", "profiles", "strategies"} {
			w, _ := want[sec].(map[string]any)
			a, _ := after[sec].(map[string]any)
			b, _ := before[sec].(map[string]any)
			for name := range w {
				if sec == "providers" && name != "codex" {
					continue
				}
				if sec != "providers" && !strings.HasPrefix(name, "codex") {
					continue
				}
				if !reflect.DeepEqual(a[name], w[name]) {
					t.Fatalf("%s.%s is %v, want the candidate's %v", sec, name, a[name], w[name])
				}
				delete(a, name)
				delete(b, name)
			}
			if len(b) == 0 {
				delete(before, sec)
			}
			if len(a) == 0 {
				delete(after, sec)
			}
		}
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("the rest changed:\n%v\n%v", before, after)
		}
	})
}

func TestMergeCodexRefusesForeignMembers(t *testing.T) {
	cand := CodexMax(func(string) string { return "" })
	for name, active := range map[string]string{
		"profile of another provider": `{"profiles": {"codex-max": {"providers": ["github:me#identity"]}}}`,
		"shared strategy":             `{"profiles": {"gh": {"providers": ["github:me#identity"], "strategy": "codex-health"}}}`,
	} {
		if _, err := MergeCodex([]byte(active), cand); err == nil {
			t.Errorf("%s: merged", name)
		}
	}
}
