package omux

import "testing"

func TestKeys(t *testing.T) {
	if k := Route("codex", "max-1", "codex-max"); k != "codex:max-1#codex-max" || k.Account() != "codex:max-1" {
		t.Errorf("Route = %q, account %q", k, k.Account())
	}
	if k := Route("github", "me", ""); k != "github:me" || k.Account() != "github:me" {
		t.Errorf("Route without capability = %q", k)
	}
	for _, c := range []struct {
		key, p, a, c string
		route        bool
	}{
		{"codex:max-1#codex-max", "codex", "max-1", "codex-max", true},
		{"codex:max-1", "codex", "max-1", "", false},
		{"codex", "codex", "", "", false},
		{"a:b:c#d#e", "a", "b:c", "d#e", true},
	} {
		p, a, cp, r := Split(c.key)
		if p != c.p || a != c.a || cp != c.c || r != c.route {
			t.Errorf("Split(%q) = %q %q %q %v", c.key, p, a, cp, r)
		}
	}
}

func TestEnviron(t *testing.T) {
	e := Environ{"A=1", "B=", "A=2", "junk", "C=x=y"}
	for key, want := range map[string]string{"A": "2", "B": "", "C": "x=y", "D": ""} {
		if got := e.Get(key); got != want {
			t.Errorf("Get(%s) = %q, want %q", key, got, want)
		}
	}
	if _, ok := e.Lookup("B"); !ok {
		t.Error("an empty value is set")
	}
	if _, ok := e.Lookup("junk"); ok {
		t.Error("an entry without '=' is no variable")
	}
}
