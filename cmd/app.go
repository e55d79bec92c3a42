package cmd

import (
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/oauth-mux/oauth-mux/config"
	"github.com/oauth-mux/oauth-mux/inject"
	"github.com/oauth-mux/oauth-mux/internal/omux"
	"github.com/oauth-mux/oauth-mux/routes/inventory"
	"github.com/oauth-mux/oauth-mux/state/redisstore"
)

// App is what every command's Run receives (bound with kong.Bind): the global flags, the environment
// and streams of this invocation, and the config, loaded once on first use.
type App struct {
	*Globals
	// Env is the invocation's environment (KEY=value), the starting point of a child's environment.
	Env   omux.Environ
	Stdio Stdio

	// args are the invocation's words as given: exec takes the child's argv from them (kong turns
	// invalid UTF-8 into U+FFFD, and a child's arguments must reach it byte for byte).
	args    []string
	parser  *kong.Kong
	reraise syscall.Signal

	cfgOnce sync.Once
	cfg     *config.Config
	cfgErr  error

	// pool is the shared-health client, made on first use and closed when Run returns.
	poolOnce sync.Once
	pool     *redisstore.Client
	poolErr  error

	// fleet is the pool's refresh coordination, made on first use (nil without one).
	fleetOnce sync.Once
	fleetV    inject.Fleet
}

func newApp(env omux.Environ, stdio Stdio) *App {
	if stdio.In == nil {
		stdio.In = strings.NewReader("")
	}
	return &App{Env: env, Stdio: stdio, Globals: &Globals{}}
}

// Getenv reads the invocation's environment (never os.Getenv: tests run Main in process).
func (a *App) Getenv(key string) string { return a.Env.Get(key) }

// ConfigPath is the config file this invocation uses (SPEC §3.1), whether or not it exists.
func (a *App) ConfigPath() string { return config.Locate(a.Globals.Config, a.Getenv) }

// Config loads the config file on first use. Its error is returned as is: a *config.Errors renders as
// `config error:` lines and exit 200 in Report.
func (a *App) Config() (*config.Config, error) {
	a.cfgOnce.Do(func() {
		a.cfg, a.cfgErr = config.Load(a.ConfigPath(), a.Getenv)
	})
	return a.cfg, a.cfgErr
}

// Reraise asks the process to die of sig after Main has returned and every deferred clean-up has run.
// Only exec calls it, and only for SIGHUP, SIGINT and SIGTERM that oauth-mux itself received.
func (a *App) Reraise(sig syscall.Signal) { a.reraise = sig }

// IsTerminal reports whether a stream of this invocation is a terminal.
func IsTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && isTerminal(f.Fd())
}

// configState loads the config the way the diagnostic commands (doctor, report, discover) take it:
// a missing or broken config is described, not an error.
func (a *App) configState() inventory.ConfigState {
	cfg, err := a.Config()
	return inventory.ClassifyConfig(a.ConfigPath(), cfg, err)
}
