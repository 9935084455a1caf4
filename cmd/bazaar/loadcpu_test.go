package main

import (
	"context"
	"os"
	"testing"

	"github.com/bazaar-shop/bazaar/internal/control"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
)

// selfOp is a running shop whose one instance is this test process.
type selfOp struct{ shopOp }

func (*selfOp) Status() []supervisor.Info {
	return []supervisor.Info{{ID: "catalog-1", Service: "catalog", PID: os.Getpid(), State: supervisor.StateReady}}
}

// The CPU a load run reports covers every instance and the `bazaar up`
// process itself, which proxies every request and collects every span.
func TestMeterCountsInstancesAndTheUpProcess(t *testing.T) {
	data := t.TempDir()
	srv, err := control.Serve(&selfOp{}, control.FilePath(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	procs, err := meterFor(data, "")
	if err != nil || procs == nil {
		t.Fatalf("meterFor: %v, %v", procs, err)
	}
	u, err := procs.sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"catalog", upProcess} {
		if _, ok := u.cpu[name]; !ok || u.rss[name] <= 0 {
			t.Errorf("sample lacks %q: cpu %v, rss %v", name, u.cpu, u.rss)
		}
	}
}
