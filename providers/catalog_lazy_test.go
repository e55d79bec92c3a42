package providers

import (
	"reflect"
	"slices"
	"testing"
)

// The built-ins are decoded on first use and shared: nothing a catalog hands out, and no merge over a
// built-in, may reach the shared copy.
func TestCatalogSharedBuiltinsStayPristine(t *testing.T) {
	before, ok := Builtin("codex")
	if !ok {
		t.Fatal("no codex built-in")
	}
	over := Definition{DisplayName: "Mine", Capabilities: []Capability{{Name: "extra"}},
		Auth: Auth{Scopes: []string{"s1"}}}
	c := NewCatalog(map[string]Definition{"codex": over, "mine": {DisplayName: "Own"}})

	got, ok := c.Lookup("codex")
	if !ok || got.DisplayName != "Mine" {
		t.Fatalf("Lookup(codex) = %q, %v: the config's definition is not merged over the built-in", got.DisplayName, ok)
	}
	if _, ok := got.Capability("extra"); !ok {
		t.Fatal("merged codex lacks the config's capability")
	}
	got.Capabilities[0].Name = "changed"
	got.OutputRules = append(got.OutputRules[:0], got.OutputRules...)
	if len(got.OutputRules) > 0 {
		got.OutputRules[0].Name = "changed"
	}

	claude, _ := c.Lookup("claude") // a built-in the config does not mention
	claude.Capabilities[0].Name = "changed"
	if len(claude.OutputRules) > 0 {
		claude.OutputRules[0].Name = "changed"
	}

	after, _ := Builtin("codex")
	if !reflect.DeepEqual(before, after) {
		t.Fatal("the shared codex built-in changed")
	}
	if again, _ := c.Lookup("claude"); again.Capabilities[0].Name == "changed" || (len(again.OutputRules) > 0 && again.OutputRules[0].Name == "changed") {
		t.Fatal("Lookup(claude) hands out the shared built-in, not a copy")
	}
	if again, _ := c.Lookup("codex"); again.Capabilities[0].Name == "changed" {
		t.Fatal("Lookup(codex) hands out the catalog's own definition, not a copy")
	}
}

func TestCatalogNames(t *testing.T) {
	c := NewCatalog(map[string]Definition{"codex": {DisplayName: "Mine"}, "zeta": {}, GenericName: {}})
	want := append(slices.Clone(wantBuiltins), "zeta", GenericName)
	slices.Sort(want)
	if got := c.Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	if got := NewCatalog(nil).Names(); !slices.Equal(got, wantBuiltins) {
		t.Fatalf("Names() of the bare catalog = %v, want %v", got, wantBuiltins)
	}
	if _, ok := NewCatalog(nil).Lookup("zeta"); ok {
		t.Fatal("a bare catalog knows zeta")
	}
}
