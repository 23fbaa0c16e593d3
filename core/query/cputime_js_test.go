//go:build js

package query

import "testing"

// cpuMeter does nothing in the browser, which has no CPU clock for us.
type cpuMeter struct{}

func startCPU(*testing.B) *cpuMeter { return &cpuMeter{} }

func (m *cpuMeter) stop() {}
