package supervise

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"
)

// TestBlockSource: a replay's blocks are whole, writable and apart; the first is a small-page mapping
// of its own and the rest are carved, in order, out of 2 MiB-aligned regions (huge pages where the
// kernel grants them; the figure is logged, as it depends on the machine's THP setting and memory).
func TestBlockSource(t *testing.T) {
	var s blockSource
	const n = 1 + 2*hugePage/replayBlock // the first block, then two huge pages' worth
	blocks := make([][]byte, n)
	for i := range blocks {
		b := s.block(replayBlock)
		if len(b) != replayBlock || cap(b) != replayBlock {
			t.Fatalf("block %d: len %d cap %d, want %d (an append must not run into the next block)", i, len(b), cap(b), replayBlock)
		}
		for j := range b {
			b[j] = byte(i)
		}
		blocks[i] = b
	}
	for i, b := range blocks {
		if want := bytes.Repeat([]byte{byte(i)}, replayBlock); !bytes.Equal(b, want) {
			t.Fatalf("block %d was overwritten by another", i)
		}
	}
	if !thpUsable() {
		t.Skip("transparent huge pages are off (or absent) here: every block is a small-page mapping")
	}
	addr := func(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }
	perPage := hugePage / replayBlock
	for i := 1; i < n; i++ {
		if (i-1)%perPage == 0 {
			if addr(blocks[i])%hugePage != 0 {
				t.Errorf("block %d starts a huge region at %#x, not 2 MiB-aligned", i, addr(blocks[i]))
			}
		} else if addr(blocks[i]) != addr(blocks[i-1])+replayBlock {
			t.Errorf("block %d is not carved right after block %d", i, i-1)
		}
	}
	t.Logf("AnonHugePages of the two regions: %s", anonHuge(t, addr(blocks[1]), addr(blocks[1+perPage])))
}

// anonHuge reads /proc/self/smaps for the mappings starting at the addresses.
func anonHuge(t *testing.T, addrs ...uintptr) string {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		if start, _, ok := strings.Cut(line, "-"); ok && !strings.Contains(start, " ") {
			in = false
			for _, a := range addrs {
				if start == fmt.Sprintf("%x", a) {
					in = true
				}
			}
			continue
		}
		if in && strings.HasPrefix(line, "AnonHugePages:") {
			out = append(out, strings.Join(strings.Fields(line)[1:], " "))
		}
	}
	return strings.Join(out, ", ")
}
