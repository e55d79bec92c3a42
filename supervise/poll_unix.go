//go:build unix

package supervise

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// reader wraps an *os.File so that Close can interrupt a blocked read (poll on the file and a wake
// pipe); other readers are used as they are.
func (s *Session) reader(r io.Reader) io.Reader {
	if f := fileOf(r); f != nil {
		return &pollReader{fd: fdOf(f), wake: fdOf(s.wakeR)}
	}
	return r
}

type pollReader struct {
	fd, wake int
}

// grow enlarges the pipe it reads, once a child is streaming from it (growSharedPipe).
func (p *pollReader) grow() { growSharedPipe(p.fd, pipeSize) }

func (p *pollReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		fds := []unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLIN}, {Fd: int32(p.wake), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return 0, err
		}
		if fds[1].Revents != 0 {
			return 0, errSessionClosed
		}
		if fds[0].Revents&unix.POLLNVAL != 0 {
			return 0, os.ErrClosed
		}
		n, err := unix.Read(p.fd, b)
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err == unix.EIO:
			// A terminal whose session ended; nothing more will come.
			return 0, io.EOF
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}
