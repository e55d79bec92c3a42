package supervise

import (
	"io"
	"os"
	"sync/atomic"
)

// streamReader reads one of the child's output pipes. Windows pipes cannot be polled, so a read
// blocks until the child writes or every writer is gone; at the end of a run the job object is
// terminated first, so the last writer goes and the read ends.
type streamReader struct {
	f   *os.File
	cut *atomic.Bool
}

func newStreamReader(f, _ *os.File, cut *atomic.Bool) *streamReader {
	return &streamReader{f: f, cut: cut}
}

func (r *streamReader) Read(b []byte) (int, error) {
	if r.cut.Load() {
		return 0, errSessionClosed
	}
	n, err := r.f.Read(b)
	if n == 0 && err == nil {
		return 0, io.EOF
	}
	return n, err
}

// reader: a console or pipe read cannot be interrupted on Windows; a read still blocked when the
// session closes ends with the process.
func (s *Session) reader(r io.Reader) io.Reader { return r }
