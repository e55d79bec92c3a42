//go:build !linux

package supervise

import "os"

// growPipe: only Linux lets a pipe's buffer be resized.
func growPipe(*os.File) {}

func growSharedPipe(int, int) {}
