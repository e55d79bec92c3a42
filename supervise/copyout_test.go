//go:build unix

package supervise

import (
	"bytes"
	"io"
	"testing"
)

// fillReader returns its data in reads as large as the caller's buffer allows, and records the sizes
// of the buffers it was given.
type fillReader struct {
	data  []byte
	sizes []int
}

func (r *fillReader) Read(p []byte) (int, error) {
	r.sizes = append(r.sizes, len(p))
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

type recordTap struct {
	bytes.Buffer
	nopTap
}

func (r *recordTap) Write(p []byte) (int, error) { return r.Buffer.Write(p) }

// copyOut's buffer grows from copyBufMin to copyBuf while reads fill it; user and tap get every byte
// in order throughout.
func TestCopyOutGrowsBuffer(t *testing.T) {
	data := make([]byte, 5*copyBuf+123)
	for i := range data {
		data[i] = byte(i*7 + i/1000)
	}
	src := &fillReader{data: data}
	var out bytes.Buffer
	var tap recordTap
	copyOut(&out, nil, src, &tap, false, false)
	if !bytes.Equal(out.Bytes(), data) || !bytes.Equal(tap.Bytes(), data) {
		t.Fatalf("copied %d bytes to the user and %d to the tap, want %d identical", out.Len(), tap.Len(), len(data))
	}
	if src.sizes[0] != copyBufMin {
		t.Errorf("first read into %d bytes, want %d", src.sizes[0], copyBufMin)
	}
	if got := src.sizes[len(src.sizes)-1]; got != copyBuf {
		t.Errorf("last read into %d bytes, want %d", got, copyBuf)
	}
	for i := 1; i < len(src.sizes); i++ {
		if src.sizes[i] < src.sizes[i-1] || src.sizes[i] > copyBuf {
			t.Fatalf("buffer sizes %v: must grow monotonically up to %d", src.sizes, copyBuf)
		}
	}
}

// A child that writes little keeps the small buffer.
func TestCopyOutShortReadsKeepSmallBuffer(t *testing.T) {
	src := &shortReader{chunks: [][]byte{[]byte("hello\n"), []byte("world\n")}}
	var out bytes.Buffer
	copyOut(&out, nil, src, nopTap{}, false, false)
	if out.String() != "hello\nworld\n" {
		t.Fatalf("out = %q", out.String())
	}
	for _, n := range src.sizes {
		if n != copyBufMin {
			t.Fatalf("buffer sizes %v, want all %d", src.sizes, copyBufMin)
		}
	}
}

type shortReader struct {
	chunks [][]byte
	sizes  []int
}

func (r *shortReader) Read(p []byte) (int, error) {
	r.sizes = append(r.sizes, len(p))
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks = r.chunks[1:]
	return n, nil
}
