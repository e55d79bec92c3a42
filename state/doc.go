// Package state owns everything oauth-mux keeps on disk between runs (SPEC §3.1, §4): the state
// directory and its layout, the health store (records, transitions, circuit, scores), the repair
// events log, the locks (health, events, account), and atomic file replacement for any package that
// must write a file so that a crash never leaves it half written.
//
// It must not read secrets, run processes or know about profiles' ordering rules: it stores what
// callers tell it and evaluates recorded health. Strategy numbers are passed in (Scoring), never read
// from config. Nothing it writes may hold a token, a credential path, a response body, a header or a
// child's arguments. It imports only classify from the project.
package state
