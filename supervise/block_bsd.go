//go:build unix && !linux

package supervise

const mapPopulate = 0

// blockSource hands out a replay's blocks (see block_linux.go for the huge pages Linux adds).
type blockSource struct{}

func (*blockSource) block(size int) []byte { return mapBlock(size) }
