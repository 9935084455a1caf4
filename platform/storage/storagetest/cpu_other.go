//go:build !unix

package storagetest

import "testing"

// ReportCPU reports nothing where getrusage is missing; see the unix
// version.
func ReportCPU(b *testing.B) (report func()) {
	return func() {}
}
