package cmd

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/alecthomas/kong"
)

// Completion works the way cobra's does: each shell script is a thin adapter that hands the words
// typed so far to the hidden `oauth-mux __complete -- WORD… CURRENT` and offers what it prints, one
// candidate a line; an empty answer lets the shell complete file names. The candidates come from the
// kong grammar itself, so a new command or flag completes without touching the scripts. (kongplete was
// the alternative; it reads COMP_LINE from the process environment, which Main deliberately does not.)

// CompletionsCmd prints a completion script.
type CompletionsCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"Shell: bash, zsh or fish."`
}

// Run prints the script for the shell.
func (c CompletionsCmd) Run(app *App) error {
	_, err := io.WriteString(app.Stdio.Out, completionScripts[c.Shell])
	return err
}

// CompleteCmd answers the completion scripts.
type CompleteCmd struct {
	Words []string `arg:"" optional:"" passthrough:"all" help:"Words after the program name; the last is being completed."`
}

// Run prints the candidates for the last word.
func (c CompleteCmd) Run(app *App) error {
	words := c.Words
	if len(words) > 0 && words[0] == "--" {
		words = words[1:] // the scripts' separator, which kong's passthrough keeps
	}
	for _, cand := range completeWords(app.parser.Model.Node, words) {
		if _, err := fmt.Fprintln(app.Stdio.Out, cand); err != nil {
			return err
		}
	}
	return nil
}

// completeWords returns the candidates for the last of words, given the ones before it.
func completeWords(root *kong.Node, words []string) []string {
	if len(words) == 0 {
		words = []string{""}
	}
	done, cur := words[:len(words)-1], words[len(words)-1]
	node := root
	positional := 0
	for i := 0; i < len(done); i++ {
		w := done[i]
		if w == "--" {
			return nil // the rest belongs to the wrapped command: let the shell complete files
		}
		if strings.HasPrefix(w, "-") && len(w) > 1 {
			name, _, hasValue := strings.Cut(w, "=")
			f := findFlag(node, name)
			if f != nil && takesValue(f) && !hasValue {
				if i == len(done)-1 {
					return filter(enumValues(f.Value), cur) // cur is this flag's value
				}
				i++
			}
			continue
		}
		if child := findChild(node, w); child != nil {
			node, positional = child, 0
			continue
		}
		positional++
	}
	if name, val, ok := strings.Cut(cur, "="); ok && strings.HasPrefix(cur, "--") {
		if f := findFlag(node, name); f != nil {
			var out []string
			for _, v := range filter(enumValues(f.Value), val) {
				out = append(out, name+"="+v)
			}
			return out
		}
		return nil
	}
	if strings.HasPrefix(cur, "-") {
		return filter(flagNames(node), cur)
	}
	var cands []string
	for _, child := range node.Children {
		if !child.Hidden && child.Type == kong.CommandNode {
			cands = append(cands, child.Name)
		}
	}
	if positional < len(node.Positional) {
		cands = append(cands, enumValues(node.Positional[positional])...)
	}
	return filter(cands, cur)
}

// findChild finds a subcommand by name or alias.
func findChild(n *kong.Node, word string) *kong.Node {
	for _, child := range n.Children {
		if child.Type != kong.CommandNode {
			continue
		}
		if child.Name == word {
			return child
		}
		for _, a := range child.Aliases {
			if a == word {
				return child
			}
		}
	}
	return nil
}

// findFlag finds a flag of n or an ancestor (kong flags are inherited) by "--name" or "-s".
func findFlag(n *kong.Node, word string) *kong.Flag {
	for ; n != nil; n = n.Parent {
		for _, f := range n.Flags {
			if "--"+f.Name == word || (f.Short != 0 && word == "-"+string(f.Short)) {
				return f
			}
			for _, a := range f.Aliases {
				if "--"+a == word {
					return f
				}
			}
		}
	}
	return nil
}

func takesValue(f *kong.Flag) bool { return !f.IsBool() && !f.IsCounter() }

func flagNames(n *kong.Node) []string {
	var out []string
	for ; n != nil; n = n.Parent {
		for _, f := range n.Flags {
			if f.Hidden {
				continue
			}
			out = append(out, "--"+f.Name)
			if f.Short != 0 {
				out = append(out, "-"+string(f.Short))
			}
		}
	}
	return out
}

func enumValues(v *kong.Value) []string {
	if v == nil || v.Enum == "" {
		return nil
	}
	var out []string
	for _, e := range strings.Split(v.Enum, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

func filter(cands []string, prefix string) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cands {
		if strings.HasPrefix(c, prefix) && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

var completionScripts = map[string]string{
	"bash": `# bash completion for oauth-mux. Load it with:
#   source <(oauth-mux completions bash)
# or save it as ~/.local/share/bash-completion/completions/oauth-mux
_oauth_mux() {
    local cur words cword
    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        # bash-completion: keep "--config=x" and "codex:max-1" as one word each
        _get_comp_words_by_ref -n =: cur words cword
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
    fi
    local IFS=$'\n'
    COMPREPLY=($(oauth-mux __complete -- "${words[@]:1:cword-1}" "$cur" 2>/dev/null))
    if declare -F __ltrim_colon_completions >/dev/null 2>&1; then
        __ltrim_colon_completions "$cur"
    fi
}
complete -o default -F _oauth_mux oauth-mux
`,
	"zsh": `#compdef oauth-mux
# zsh completion for oauth-mux. Load it (after compinit) with:
#   source <(oauth-mux completions zsh)
# or save it as _oauth-mux in a directory of $fpath.
_oauth_mux() {
    local -a cands
    cands=("${(@f)$(oauth-mux __complete -- "${(@)words[2,CURRENT-1]}" "${words[CURRENT]}" 2>/dev/null)}")
    cands=(${cands:#})
    if (( ${#cands} )); then
        compadd -- "${cands[@]}"
    else
        _files
    fi
}
if (( $+functions[compdef] )); then
    compdef _oauth_mux oauth-mux
else
    print -u2 "oauth-mux: run 'autoload -U compinit && compinit' before loading the completion"
fi
`,
	"fish": `# fish completion for oauth-mux. Load it with:
#   oauth-mux completions fish | source
# or save it as ~/.config/fish/completions/oauth-mux.fish
function __oauth_mux_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l cur (commandline -ct)
    set -l cands (oauth-mux __complete -- $words "$cur" 2>/dev/null)
    if test (count $cands) -eq 0
        __fish_complete_path "$cur"
    else
        printf '%s\n' $cands
    end
end
complete -c oauth-mux -f -a '(__oauth_mux_complete)'
`,
}
