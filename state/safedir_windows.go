package state

import (
	"io/fs"
	"os"
)

// Windows has no owner uid or permission bits in os.FileInfo; the profile directory's ACL is what
// keeps other users out, so only links are refused there.
const checkPermissions = false

func ownedByMe(os.FileInfo) (int, bool) { return -1, true }

func links(os.FileInfo) uint64 { return 1 }

// openNoFollow: Windows has no O_NOFOLLOW; a link found by Lstat is refused before the open.
func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrPermission}
	}
	return os.OpenFile(path, flag, perm)
}
