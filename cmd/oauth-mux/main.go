// Command oauth-mux runs a command on the first healthy account of a profile and fails over when an
// account is spent. Everything lives in package cmd; this file only turns its result into the process's
// end.
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
