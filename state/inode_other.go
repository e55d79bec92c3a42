//go:build !unix

package state

import "os"

// Windows file info carries no inode or device through os.FileInfo; size and mtime remain.
func inode(os.FileInfo) uint64 { return 0 }

func device(os.FileInfo) uint64 { return 0 }
