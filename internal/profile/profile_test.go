package profile

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// cpuProfile builds a CPU profile with one sample per stack (innermost
// function first), each worth ms milliseconds.
func cpuProfile(ms int64, stacks ...[]string) *profile.Profile {
	p := &profile.Profile{SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}}}
	funcs := map[string]*profile.Function{}
	for _, stack := range stacks {
		var locs []*profile.Location
		for _, name := range stack {
			f, ok := funcs[name]
			if !ok {
				f = &profile.Function{ID: uint64(len(funcs) + 1), Name: name}
				funcs[name] = f
				p.Function = append(p.Function, f)
			}
			loc := &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: f}}}
			p.Location = append(p.Location, loc)
			locs = append(locs, loc)
		}
		p.Sample = append(p.Sample, &profile.Sample{Location: locs, Value: []int64{1, ms * int64(time.Millisecond)}})
	}
	return p
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		stack []string
		want  Kind
	}{
		{"a write under grpc is a system call", []string{"internal/runtime/syscall/linux.Syscall6", "syscall.write", "google.golang.org/grpc/internal/transport.(*loopyWriter).run"}, KindSyscalls},
		{"sqlite owns its system calls", []string{"syscall.Syscall", "modernc.org/libc.Xfsync", "modernc.org/sqlite/lib._sqlite3PagerSync", "database/sql.(*Tx).Commit"}, KindSQLite},
		{"templates own their allocations", []string{"runtime.mallocgc", "text/template.(*state).evalField", "github.com/bazaar-shop/bazaar/services/storefront.(*Storefront).render"}, KindTemplates},
		{"argon2 is password hashing", []string{"golang.org/x/crypto/argon2.processBlocks", "github.com/bazaar-shop/bazaar/services/accounts/password.Hash"}, KindPassword},
		{"allocation under protobuf is allocation", []string{"runtime.mallocgc", "google.golang.org/protobuf/internal/impl.(*MessageInfo).unmarshal"}, KindAlloc},
		{"protobuf under grpc is protobuf", []string{"google.golang.org/protobuf/proto.MarshalOptions.marshal", "google.golang.org/grpc/encoding/proto.(*codecV2).Marshal"}, KindProtobuf},
		{"background marking is gc", []string{"runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker"}, KindGC},
		{"tls record encryption", []string{"crypto/internal/fips140/aes/gcm.seal", "crypto/tls.(*Conn).writeRecordLocked"}, KindTLS},
		{"our own code", []string{"github.com/bazaar-shop/bazaar/platform/money.Add"}, KindBazaar},
		{"anything else", []string{"sort.Slice"}, KindOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Classify(cpuProfile(10, tc.stack))
			if err != nil {
				t.Fatal(err)
			}
			if b[tc.want] != 10*time.Millisecond || b.Total() != 10*time.Millisecond {
				t.Errorf("Classify(%v) = %v, want all 10ms in %q", tc.stack, b, tc.want)
			}
		})
	}
}

func TestClassifyRefusesOtherProfiles(t *testing.T) {
	p := &profile.Profile{SampleType: []*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}}}
	if _, err := Classify(p); err == nil {
		t.Fatal("Classify accepted a heap profile")
	}
}

// Every kind is reported once, in a fixed order, ending with other.
func TestKinds(t *testing.T) {
	seen := map[Kind]bool{}
	ks := Kinds()
	for _, k := range ks {
		if seen[k] {
			t.Errorf("kind %q listed twice", k)
		}
		seen[k] = true
	}
	if ks[len(ks)-1] != KindOther {
		t.Errorf("last kind = %q, want %q", ks[len(ks)-1], KindOther)
	}
}

// realCPUProfile returns a CPU profile of this process spinning for a
// moment, as a service's /debug/pprof/profile would send it.
func realCPUProfile(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Fatal(err)
	}
	x := 0
	for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); {
		x++
	}
	pprof.StopCPUProfile()
	if x == 0 {
		t.Fatal("no work done")
	}
	return buf.Bytes()
}

func TestCollectAndReport(t *testing.T) {
	raw := realCPUProfile(t)
	var mu sync.Mutex
	var asked []string
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, r.URL.Path+"?"+r.URL.RawQuery)
		_, _ = w.Write(raw)
	}))
	defer good.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "profiling disabled", http.StatusForbidden)
	}))
	defer bad.Close()
	targets := []Target{
		{Name: "catalog-1", AdminAddr: strings.TrimPrefix(good.URL, "http://")},
		{Name: "cart-1", AdminAddr: strings.TrimPrefix(bad.URL, "http://")},
	}
	results := Collect(context.Background(), good.Client(), targets, 1500*time.Millisecond)
	if len(results) != 2 || results[0].Err != nil || results[0].Profile == nil || !bytes.Equal(results[0].Raw, raw) {
		t.Fatalf("catalog-1: %+v", results[0])
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 1 || asked[0] != "/debug/pprof/profile?seconds=2" {
		t.Errorf("asked %v, want one /debug/pprof/profile?seconds=2", asked)
	}
	if results[1].Err == nil || !strings.Contains(results[1].Err.Error(), "403") {
		t.Errorf("cart-1 error = %v, want the 403", results[1].Err)
	}
	var out bytes.Buffer
	if err := WriteReport(&out, results); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind of work", "all processes", "catalog-1", "not profiled: profile cart-1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
