package classify

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

func TestInputRing(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r := NewInputRing(func() time.Time { return now })
	typeKeys := func(s string) {
		for i := 0; i < len(s); i++ {
			r.Write([]byte{s[i]})
		}
	}
	typeKeys("my 5-hour limt\x7fit reached\x1b[D\x1b[C earlier\r")
	for _, c := range []struct {
		text string
		want bool
	}{
		{"5-hour limit reached", true},      // typed a key at a time, with a backspace and arrow keys
		{"  5-HOUR   limit reached.", true}, // case, blanks and punctuation around the words
		{"limt", false},                     // what the backspace took back
		{"resets 5am", false},               // never typed
		{"my", false},                       // too short to tell
	} {
		if got := r.Contains([]byte(c.text)); got != c.want {
			t.Errorf("Contains(%q) = %v, want %v", c.text, got, c.want)
		}
	}
	now = now.Add(InputWindow + time.Second)
	if r.Contains([]byte("5-hour limit reached")) {
		t.Error("input older than the window still counts")
	}
	r.Write([]byte("a piped prompt: You've hit your usage limit\n"))
	if !r.Contains([]byte("You've hit your usage limit")) {
		t.Error("piped input is not remembered")
	}
	// A large write keeps its newest bytes only.
	big := append(bytes.Repeat([]byte("x"), 3*inputKeep), " the end of a huge pipe"...)
	r.Write(big)
	if !r.Contains([]byte("the end of a huge pipe")) || r.Contains([]byte("You've hit your usage limit")) || len(r.buf) > 2*inputKeep {
		t.Errorf("after a big write: %d bytes kept", len(r.buf))
	}
	// A TUI's mark or border around the echo is not part of the words.
	r.Write([]byte("You've hit your usage limit\r"))
	for _, echo := range []string{"› You've hit your usage limit", "│ > You've hit your usage limit   │", "▌You've hit your usage limit"} {
		if !r.Contains([]byte(echo)) {
			t.Errorf("the echo %q is not known as typed", echo)
		}
	}
	// The attempt's arguments (a prompt) hold for the whole attempt.
	r.SetArgs([]string{"exec", "why does CI say refresh token was revoked?"})
	now = now.Add(10 * InputWindow)
	if !r.Contains([]byte("refresh token was revoked")) || r.Contains([]byte("You've hit your usage limit")) {
		t.Error("arguments are not remembered, or typed input outlived its window")
	}
	var nilRing *InputRing
	if nilRing.Contains([]byte("anything at all")) {
		t.Error("a nil ring contains something")
	}
}

// The stdin pump writes while the output copiers ask: run under -race.
func TestInputRingConcurrent(t *testing.T) {
	r := NewInputRing(nil)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 2000; i++ {
			r.Write([]byte("typing 5-hour limit reached "))
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 2000; i++ {
			r.Contains([]byte("5-hour limit reached"))
		}
	}()
	wg.Wait()
	if !r.Contains([]byte("5-hour limit reached")) {
		t.Fatal("lost")
	}
}

// A tap drops a route match whose text was typed, and keeps the same line printed by the CLI once the
// typed text has left the window.
func TestTapDropsTypedMatch(t *testing.T) {
	m := claudeMatcher(t)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ring := NewInputRing(func() time.Time { return now })
	ring.Write([]byte("5-hour limit reached ∙ resets 5am\r"))
	tap := m.Tap(Stdout, nil).WithInput(ring)
	tap.Write([]byte("5-hour limit reached ∙ resets 5am\r\n"))
	if len(tap.Hits()) != 0 || tap.Live() != nil {
		t.Fatalf("typed text hit: %+v", tap.Hits())
	}
	now = now.Add(2 * InputWindow)
	tap.Write([]byte("5-hour limit reached ∙ resets 5am\r\n"))
	if h := tap.Hits(); len(h) != 1 || tap.Live() == nil {
		t.Fatalf("the CLI's own notice was dropped: %+v", h)
	}
}
