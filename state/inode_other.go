//go:build !unix

package state

import "os"

// Windows file info carries no inode through os.FileInfo; size, mtime and content suffice.
func inode(os.FileInfo) uint64 { return 0 }
