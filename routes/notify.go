package routes

import "fmt"

// Notifier takes what routes has to tell the user while it works: a plain line, a warning (something
// could not be kept, the run goes on) or a hint (the next step). cmd renders each kind; routes never
// prints or prefixes a line itself.
type Notifier interface {
	Info(msg string)
	Warn(msg string)
	Hint(msg string)
}

// quiet drops every line: a nil Notifier.
type quiet struct{}

func (quiet) Info(string) {}
func (quiet) Warn(string) {}
func (quiet) Hint(string) {}

// Quiet makes a nil Notifier one that drops everything.
func Quiet(n Notifier) Notifier {
	if n == nil {
		return quiet{}
	}
	return n
}

// Infof tells n (nil drops it) a formatted line.
func Infof(n Notifier, format string, args ...any) { Quiet(n).Info(fmt.Sprintf(format, args...)) }

// Warnf tells n a formatted warning.
func Warnf(n Notifier, format string, args ...any) { Quiet(n).Warn(fmt.Sprintf(format, args...)) }

// Hints tells n each hint of hs.
func Hints(n Notifier, hs []string) {
	for _, h := range hs {
		Quiet(n).Hint(h)
	}
}
