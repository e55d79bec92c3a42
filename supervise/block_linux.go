package supervise

import (
	"bytes"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

const mapPopulate = unix.MAP_POPULATE

// hugePage is the size of a transparent huge page with 4 KiB base pages (amd64, arm64 with 4 KiB
// granules); where it is not, the region is simply backed by small pages.
const hugePage = 2 << 20

// thpUsable reports whether the kernel may back an advised region with huge pages: THP "always" or
// "madvise". Under "never" MADV_HUGEPAGE still succeeds but changes nothing, and a region faulted in
// page by page would cost more than the small-page blocks populated in one call.
var thpUsable = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && !bytes.Contains(b, []byte("[never]"))
})

// blockSource hands out a replay's blocks. The first one is mapped with small pages: a short stdin,
// what most runs have, costs one populated 256 KiB mapping and never a huge page's zeroing or the
// compaction that may precede it. The rest come from 2 MiB transparent huge pages when the kernel
// grants them (THP "always" or "madvise"): a stream that fills the 8 MiB replay then costs 4 page
// faults instead of 2048. On a VM whose page faults trap to the hypervisor (about 10 µs each on the
// one the README's figures come from) that is a fifth of an 8 MiB run. The block is taken with the
// replay's lock held, so a huge page the kernel must compact memory for delays the feeder too; that
// happens once per 2 MiB of a long stream, never for a short one.
type blockSource struct {
	handed int
	spare  []byte // the unused rest of the current huge page
}

func (s *blockSource) block(size int) []byte {
	s.handed++
	if s.handed == 1 || size > hugePage || hugePage%size != 0 || !thpUsable() {
		return mapBlock(size)
	}
	if len(s.spare) < size {
		if s.spare = mapHuge(); s.spare == nil {
			return mapBlock(size)
		}
	}
	b := s.spare[:size:size]
	s.spare = s.spare[size:]
	return b
}

// mapHuge maps one 2 MiB-aligned region advised for a huge page and faults it in, or returns nil
// (no THP in this kernel, no memory) for the caller to fall back on small pages.
func mapHuge() []byte {
	const span = 2 * hugePage // room to align one huge page inside
	base, err := unix.MmapPtr(-1, 0, nil, span, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil
	}
	head := (hugePage - uintptr(base)%hugePage) % hugePage
	page := unsafe.Add(base, head)
	// The slack on both sides goes back; only the aligned page stays mapped.
	if head > 0 {
		_ = unix.MunmapPtr(base, head)
	}
	if tail := span - head - hugePage; tail > 0 {
		_ = unix.MunmapPtr(unsafe.Add(page, hugePage), tail)
	}
	b := unsafe.Slice((*byte)(page), hugePage)
	if err := unix.Madvise(b, unix.MADV_HUGEPAGE); err != nil {
		_ = unix.MunmapPtr(page, hugePage)
		return nil
	}
	// Linux 5.14 and later fault the whole page in here; before, the first write faults in the
	// huge page (or, when none is free, small pages one by one).
	_ = unix.Madvise(b, unix.MADV_POPULATE_WRITE)
	return b
}
