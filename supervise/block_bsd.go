//go:build unix && !linux

package supervise

const mapPopulate = 0
