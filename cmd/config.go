package cmd

import (
	"errors"
	"fmt"
	"os"

	"github.com/oauth-mux/oauth-mux/config"
)

// ConfigCmd groups the config subcommands.
type ConfigCmd struct {
	Validate ConfigValidateCmd `cmd:"" help:"Check the config file; print every problem with its JSON path (exit 200)."`
	Path     ConfigPathCmd     `cmd:"" help:"Print the config file path this invocation uses."`
}

// ConfigValidateCmd is `config validate [--strict]`.
type ConfigValidateCmd struct {
	Strict bool `help:"Refuse keys the schema does not know (without it they are warnings)."`
}

// Run prints `config: valid` or the problems (via Report: *config.Errors, exit 200). Keys the schema
// does not know are `config warning:` lines on stderr, each with the key it most likely misspells;
// --strict makes them errors.
func (c ConfigValidateCmd) Run(app *App) error {
	cfg, err := app.Config()
	var warnings []config.Problem
	if err == nil {
		if c.Strict {
			err = cfg.Strict()
		} else {
			warnings = cfg.UnknownKeys()
		}
	}
	for _, w := range warnings {
		fmt.Fprintf(app.Stdio.Err, "config warning: %s: %s\n", w.Path, w.Msg)
	}
	if app.JSON {
		return validateJSON(app, err, warnings)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(app.Stdio.Out, "config: valid")
	return err
}

// validateJSON prints {"valid", "path", "problems":[{"path","message"}], "warnings":[…]} on stdout. The problems still
// go to stderr too, and the exit status is the same as without --json, so a pipeline can branch on it.
func validateJSON(app *App, verr error, warnings []config.Problem) error {
	type problem struct {
		Path    string `json:"path"`
		Message string `json:"message"`
	}
	out := struct {
		Valid    bool      `json:"valid"`
		Path     string    `json:"path"`
		Problems []problem `json:"problems"`
		Warnings []problem `json:"warnings"`
	}{Valid: verr == nil, Path: app.ConfigPath(), Problems: []problem{}, Warnings: []problem{}}
	for _, w := range warnings {
		out.Warnings = append(out.Warnings, problem{w.Path, w.Msg})
	}
	var errs *config.Errors
	if errors.As(verr, &errs) {
		for _, p := range errs.Problems {
			out.Problems = append(out.Problems, problem{p.Path, p.Msg})
		}
	} else if verr != nil {
		out.Problems = append(out.Problems, problem{"", verr.Error()})
	}
	if err := writeJSON(app.Stdio.Out, out); err != nil {
		return err
	}
	return verr
}

// ConfigPathCmd is `config path`.
type ConfigPathCmd struct{}

// Run prints the located path; it does not need the file to exist.
func (ConfigPathCmd) Run(app *App) error {
	path := app.ConfigPath()
	if app.JSON {
		_, err := os.Stat(path)
		return writeJSON(app.Stdio.Out, struct {
			Path   string `json:"path"`
			Exists bool   `json:"exists"`
		}{path, err == nil})
	}
	_, err := fmt.Fprintln(app.Stdio.Out, path)
	return err
}
