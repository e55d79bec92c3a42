// Package inject owns how an account's credential reaches a child (SPEC §6.1, §6.4, §8.1, §8.2): reading
// secrets from their backends, checking and refreshing credentials before launch, building the child's
// environment (scrub, inject, mark with OMUX_ACTIVE_*, refuse accidental nesting), the managed config
// dirs under <state dir>/homes, the write-back of credentials a CLI rewrote there, and the `env`
// command's shell output.
//
// It must not choose routes, record health or run the child: it hands back an environment and, when a
// credential cannot be used, a verdict for the caller to record. No error, log line or String() it
// produces may contain secret bytes; only Format's output (the `env` command's job) and the child's
// environment carry them.
package inject
