package state

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
)

// Fingerprint identifies the current version of a credential file from its metadata alone — device,
// inode, size and modification time, hashed and shortened to 16 hex digits — so that it can be taken
// without reading a secret: the no-spend planners (route explain, doctor) use it too (SPEC §8.3).
// Writers replace credential files by rename (new inode) or rewrite them (new mtime), so any re-login
// changes it; at worst a touch without a change costs one extra try. "" when the path is not a
// regular file.
func Fingerprint(path string) string {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	var meta [32]byte
	binary.LittleEndian.PutUint64(meta[0:], uint64(fi.Size()))
	binary.LittleEndian.PutUint64(meta[8:], uint64(fi.ModTime().UnixNano()))
	binary.LittleEndian.PutUint64(meta[16:], inode(fi))
	binary.LittleEndian.PutUint64(meta[24:], device(fi))
	sum := sha256.Sum256(meta[:])
	return hex.EncodeToString(sum[:8])
}
