package cmd

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// parseExecArgs reads the common shape of an exec invocation without kong:
//
//	oauth-mux [--config PATH] [--json] exec [--profile|-p|--provider|--account|--capability|--strategy NAME]
//	          [--wait] [--nested] -- COMMAND [ARGS…]
//
// with each flag at most once, values as separate words or after "=", and the global flags before or
// after "exec". Even kong's model of exec alone costs ~2 ms in a fresh process, on every run. It
// reports false for anything else (any other flag, --help, a repeated flag, a value that is empty or
// starts with "-", no "--" or nothing after it, invalid UTF-8), and run then parses with kong: this is a shortcut for
// argument lists kong reads the same way, never a second grammar. The results must be exactly kong's
// (the defaults below are ExecCmd's tags; TestParseExecArgsMatchesKong holds them together).
func parseExecArgs(args []string) (*Globals, *ExecCmd, bool) {
	g := &Globals{}
	c := &ExecCmd{PTY: "auto", Stderr: "pipe", WaitMax: 24 * time.Hour, OnLimit: "restart"}
	global := map[string]*string{"--config": &g.Config}
	values := map[string]*string{
		"--profile": &c.Profile, "-p": &c.Profile, "--provider": &c.Provider, "--account": &c.Account,
		"--capability": &c.Capability, "--strategy": &c.Strategy,
	}
	globalBools := map[string]*bool{"--json": &g.JSON}
	bools := map[string]*bool{"--wait": &c.Wait, "--nested": &c.Nested}
	seen := map[any]bool{}
	inExec := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !utf8.ValidString(a) {
			return nil, nil, false // kong turns invalid UTF-8 into U+FFFD, even in the child's argv
		}
		switch {
		case a == "exec" && !inExec:
			inExec = true
			continue
		case a == "--":
			if !inExec || i+1 == len(args) {
				return nil, nil, false
			}
			for _, a := range args[i+1:] {
				if !utf8.ValidString(a) {
					return nil, nil, false
				}
			}
			c.Command = slices.Clone(args[i:]) // kong keeps the "--" of a passthrough argument
			return g, c, true
		}
		name, val, hasVal := strings.Cut(a, "=")
		p, ok := global[name]
		if !ok && inExec {
			p, ok = values[name]
		}
		if ok {
			if hasVal && !strings.HasPrefix(name, "--") {
				return nil, nil, false // "-p=x": leave short-flag spellings to kong
			}
			if !hasVal {
				if i+1 == len(args) {
					return nil, nil, false
				}
				i++
				val = args[i]
			}
			if val == "" || strings.HasPrefix(val, "-") || !utf8.ValidString(val) || seen[p] {
				return nil, nil, false
			}
			seen[p], *p = true, val
			continue
		}
		b, ok := globalBools[a]
		if !ok && inExec {
			b, ok = bools[a]
		}
		if !ok || seen[b] {
			return nil, nil, false
		}
		seen[b], *b = true, true
	}
	return nil, nil, false
}
