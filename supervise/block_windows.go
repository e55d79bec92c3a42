package supervise

// blockSource hands out a replay's blocks: on Windows, from the Go heap.
type blockSource struct{}

func (*blockSource) block(size int) []byte { return make([]byte, size) }
