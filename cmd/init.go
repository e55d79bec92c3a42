package cmd

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/inject"
)

// InitCmd is `init [--codex-max]`. It never overwrites: an existing file is an error (exit 1).
type InitCmd struct {
	CodexMax bool `name:"codex-max" help:"Three Codex subscription accounts (max-1..3) with codex-max and codex-mini profiles."`
}

// Run writes the template to the config path (0600, parents 0700) and prints `created <path>`.
func (c InitCmd) Run(app *App) error {
	path := app.ConfigPath()
	data := config.Starter(app.Getenv)
	if c.CodexMax {
		data = config.CodexMax(app.Getenv)
	}
	if err := config.WriteNew(path, data); err != nil {
		var exists *config.ExistsError
		if errors.As(err, &exists) {
			return WithHints(err, "check it with 'oauth-mux config validate', or pass --config to write elsewhere")
		}
		return err
	}
	var dirs, next []string
	if c.CodexMax {
		// codex login needs its CODEX_HOME to exist: make each account's (0700), and say what follows.
		cfg, err := app.Config()
		if err != nil {
			return err
		}
		accts := cfg.Providers["codex"].Accounts
		for _, name := range slices.Sorted(maps.Keys(accts)) {
			dir := accts[name].ConfigDir
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("account dir of codex:%s: %w", name, err)
			}
			dirs = append(dirs, dir)
			next = append(next, "CODEX_HOME="+inject.QuotePOSIX(dir)+" codex login --device-auth")
		}
		next = append(next, "oauth-mux doctor runtime --profile codex-max",
			"oauth-mux exec --profile codex-max -- codex")
	}
	if app.JSON {
		return writeJSON(app.Stdio.Out, struct {
			Created      string   `json:"created"`
			AccountDirs  []string `json:"account_dirs"`
			NextCommands []string `json:"next_commands"`
		}{path, append([]string{}, dirs...), append([]string{}, next...)})
	}
	fmt.Fprintf(app.Stdio.Out, "created %s\n", path)
	for _, d := range dirs {
		fmt.Fprintf(app.Stdio.Out, "created %s\n", d)
	}
	printNext(app.Stdio.Out, next)
	return nil
}
