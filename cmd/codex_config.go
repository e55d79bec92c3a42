package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/state"
)

// CodexConfigCandidateCmd is `codex config-candidate [--output FILE]`: the Codex Max shape (three
// accounts, codex-max and codex-mini profiles) written beside the active config, never over a file.
type CodexConfigCandidateCmd struct {
	Output string `name:"output" type:"path" help:"Write the candidate here (default: codex-max.config.json beside the active config)." placeholder:"FILE"`
}

// Run writes the candidate and names the merge command.
func (c CodexConfigCandidateCmd) Run(app *App) error {
	path := c.Output
	if path == "" {
		path = codexMaxCandidate(app.ConfigPath())
	}
	if err := config.WriteNew(path, config.CodexMax(app.Getenv)); err != nil {
		var exists *config.ExistsError
		if errors.As(err, &exists) {
			return WithHints(err, "merge it with: oauth-mux codex config-merge --candidate "+path)
		}
		return err
	}
	next := "oauth-mux codex config-merge --candidate " + path
	if app.JSON {
		return writeJSON(app.Stdio.Out, struct {
			Candidate    string   `json:"candidate"`
			NextCommands []string `json:"next_commands"`
		}{path, []string{next}})
	}
	fmt.Fprintf(app.Stdio.Out, "created %s\nnext: %s\n", path, next)
	return nil
}

// CodexConfigMergeCmd is `codex config-merge --candidate FILE`.
type CodexConfigMergeCmd struct {
	Candidate string `name:"candidate" required:"" type:"path" help:"The candidate config (codex config-candidate writes one)." placeholder:"FILE"`
}

// Run validates the candidate, backs up the active config, and merges only the codex provider, the
// profiles that route to it and their strategies into it; every other byte stays as it was.
func (c CodexConfigMergeCmd) Run(app *App) error {
	cand, err := os.ReadFile(c.Candidate)
	if err != nil {
		return err
	}
	if _, err := config.Parse(cand, c.Candidate, app.Getenv); err != nil {
		return err // names the candidate's JSON path, exit 200
	}
	path := app.ConfigPath()
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real // a config kept as a link (in a dotfiles repo, say) stays one
	}
	active, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	merged, err := config.MergeCodex(active, cand)
	if err != nil {
		return Errorf(omux.ExitConfig, nil, "merge into %s: %v", path, err)
	}
	if _, err := config.Parse(merged, path, app.Getenv); err != nil {
		return Errorf(omux.ExitConfig, []string{"nothing was changed; the active config is as it was"}, "the merged config would not validate: %v", err)
	}
	backup := fmt.Sprintf("%s.bak-%s", path, time.Now().UTC().Format("20060102T150405Z"))
	if err := config.WriteNew(backup, active); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	mode := os.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := state.WriteFileAtomic(path, merged, mode); err != nil {
		return err
	}
	next := []string{"oauth-mux codex bootstrap-dirs", "oauth-mux codex login-status-all"}
	if app.JSON {
		return writeJSON(app.Stdio.Out, struct {
			Merged       string   `json:"merged"`
			Backup       string   `json:"backup"`
			NextCommands []string `json:"next_commands"`
		}{path, backup, next})
	}
	fmt.Fprintf(app.Stdio.Out, "merged the codex provider and its profiles into %s (backup %s)\n", path, backup)
	printNext(app.Stdio.Out, next)
	return nil
}
