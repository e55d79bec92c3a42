// Command oauth-mux runs a command on the first healthy account of a profile and fails over when an
// account is spent. Everything lives in package cmd; cmd.Program runs it and ends the process.
//
// It must hold no logic: what is here is not reached by the in-process tests that call cmd.Main.
package main

import "github.com/oauth-mux/oauth-mux/cmd"

func main() { cmd.Program() }
