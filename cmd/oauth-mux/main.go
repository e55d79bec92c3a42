// Command oauth-mux runs a command on the first healthy account of a profile and fails over when an
// account is spent. Everything lives in package cmd; this file only turns its result into the process's
// end.
//
// It must hold no other logic: what is here is not reached by the in-process tests that call
// cmd.Main, and it may end the process (os.Exit, the re-raise) only after cmd.Run returned, so that
// every deferred clean-up has run.
package main

import (
	"os"

	"github.com/oauth-mux/oauth-mux/cmd"
	"github.com/oauth-mux/oauth-mux/supervise"
)

func main() {
	code, sig := cmd.Run(os.Args[1:], os.Environ(), cmd.StdStdio())
	// Main has returned: the terminal is restored, locks released, credentials written back. Only now
	// may the process die of the signal that killed the child (SPEC §6.1).
	if sig != 0 {
		supervise.Reraise(sig)
	}
	os.Exit(code)
}
