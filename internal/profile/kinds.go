package profile

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// Kind is a kind of work a CPU sample was spent on.
type Kind string

// The kinds of work, as the report names them.
const (
	KindPassword  Kind = "password hashing"
	KindSQLite    Kind = "sqlite"
	KindTemplates Kind = "html templates"
	KindGC        Kind = "gc (background)"
	KindSyscalls  Kind = "system calls"
	KindTLS       Kind = "tls & crypto"
	KindTracing   Kind = "tracing"
	KindMetrics   Kind = "metrics"
	KindProtobuf  Kind = "protobuf"
	KindJSON      Kind = "json"
	KindAlloc     Kind = "allocation"
	KindScheduler Kind = "scheduler"
	KindGRPC      Kind = "grpc & http/2"
	KindHTTP      Kind = "http server"
	KindNATS      Kind = "nats"
	KindBazaar    Kind = "bazaar code"
	KindOther     Kind = "other"
)

// rule says which function names make a sample of a kind.
type rule struct {
	kind     Kind
	prefixes []string
}

// owners are kinds that own a sample when any frame of its stack
// matches, whatever it called: SQLite's system calls and allocations
// are SQLite's cost. The first match in this order wins.
func owners() []rule {
	return []rule{
		{KindPassword, []string{"golang.org/x/crypto/argon2.", "golang.org/x/crypto/bcrypt."}},
		{KindSQLite, []string{"modernc.org/sqlite", "modernc.org/libc"}},
		{KindTemplates, []string{"text/template.", "html/template."}},
		{KindGC, []string{"runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge"}},
	}
}

// leaves are kinds matched from the innermost frame outwards: a sample
// belongs to the innermost frame that matches one of them.
func leaves() []rule {
	return []rule{
		{KindSyscalls, []string{"syscall.", "internal/runtime/syscall.", "internal/poll.", "runtime.netpoll"}},
		{KindTLS, []string{"crypto/"}},
		{KindTracing, []string{"go.opentelemetry.io/", "github.com/XSAM/otelsql"}},
		{KindMetrics, []string{"github.com/prometheus/"}},
		{KindProtobuf, []string{"google.golang.org/protobuf/"}},
		{KindJSON, []string{"encoding/json.", "github.com/go-json-experiment/"}},
		{KindAlloc, []string{"runtime.mallocgc", "runtime.newobject", "runtime.makeslice", "runtime.growslice", "runtime.gcAssist", "runtime.memclrNoHeapPointers"}},
		{KindScheduler, []string{"runtime.schedule", "runtime.findRunnable", "runtime.futex", "runtime.park_m", "runtime.notesleep", "runtime.usleep", "runtime.stealWork", "runtime.wakep"}},
		{KindGRPC, []string{"google.golang.org/grpc", "golang.org/x/net/http2"}},
		{KindHTTP, []string{"net/http.", "net/textproto.", "bufio."}},
		{KindNATS, []string{"github.com/nats-io/"}},
		{KindBazaar, []string{"github.com/bazaar-shop/"}},
	}
}

// Kinds lists every kind in report order.
func Kinds() []Kind {
	var ks []Kind
	for _, r := range append(owners(), leaves()...) {
		ks = append(ks, r.kind)
	}
	return append(ks, KindOther)
}

// Breakdown is the CPU time of one profile by kind of work.
type Breakdown map[Kind]time.Duration

// Total is the CPU time of every sample.
func (b Breakdown) Total() time.Duration {
	var t time.Duration
	for _, d := range b {
		t += d
	}
	return t
}

// Add adds o's times to b.
func (b Breakdown) Add(o Breakdown) {
	for k, d := range o {
		b[k] += d
	}
}

// Classify returns p's CPU time by kind of work. p must be a CPU profile
// (a "cpu" sample type in nanoseconds).
func Classify(p *profile.Profile) (Breakdown, error) {
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" && st.Unit == "nanoseconds" {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("classify: not a CPU profile (no cpu/nanoseconds sample type)")
	}
	own, leaf := owners(), leaves()
	b := Breakdown{}
	for _, s := range p.Sample {
		b[classify(frames(s), own, leaf)] += time.Duration(s.Value[idx])
	}
	return b, nil
}

// frames returns a sample's function names, innermost first (inlined
// frames included).
func frames(s *profile.Sample) []string {
	var names []string
	for _, loc := range s.Location {
		for _, line := range loc.Line {
			if line.Function != nil {
				names = append(names, line.Function.Name)
			}
		}
	}
	return names
}

func classify(names []string, own, leaf []rule) Kind {
	for _, r := range own {
		for _, n := range names {
			if r.matches(n) {
				return r.kind
			}
		}
	}
	for _, n := range names {
		for _, r := range leaf {
			if r.matches(n) {
				return r.kind
			}
		}
	}
	return KindOther
}

func (r rule) matches(name string) bool {
	for _, p := range r.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
