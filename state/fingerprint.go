package state

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"os"
)

// maxFingerprintRead bounds the bytes hashed; credential files are tiny, and the secret file
// backend refuses anything over 4 MiB anyway.
const maxFingerprintRead = 8 << 20

// Fingerprint identifies the current version of a credential file: its size, mtime, inode and a
// SHA-256 of its content, hashed together and shortened to 16 hex digits. It cannot be turned back
// into the content. "" when the file cannot be read. Any rewrite (even with the same bytes, since the
// writer replaced the file) changes it, which at worst costs one extra probe.
func Fingerprint(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	content := sha256.New()
	if _, err := io.Copy(content, io.LimitReader(f, maxFingerprintRead)); err != nil {
		return ""
	}
	sum := sha256.New()
	var meta [24]byte
	binary.LittleEndian.PutUint64(meta[0:], uint64(fi.Size()))
	binary.LittleEndian.PutUint64(meta[8:], uint64(fi.ModTime().UnixNano()))
	binary.LittleEndian.PutUint64(meta[16:], inode(fi))
	sum.Write(meta[:])
	sum.Write(content.Sum(nil))
	return hex.EncodeToString(sum.Sum(nil)[:8])
}
