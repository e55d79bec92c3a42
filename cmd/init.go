package cmd

import (
	"errors"
	"fmt"

	"github.com/oauth-mux/oauth-mux/config"
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
	if app.JSON {
		return writeJSON(app.Stdio.Out, struct {
			Created string `json:"created"`
		}{path})
	}
	_, err := fmt.Fprintf(app.Stdio.Out, "created %s\n", path)
	return err
}
