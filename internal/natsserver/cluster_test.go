package natsserver

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// freePorts returns n TCP ports free on the loopback address right now.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
		defer l.Close()
	}
	return ports
}

// Three nodes given the same route list form one JetStream cluster that
// keeps a 3-replica stream, and it survives losing one node.
func TestThreeNodesFormAJetStreamCluster(t *testing.T) {
	ports := freePorts(t, 3)
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	nodes := make([]*Server, 3)
	errc := make(chan error, 3)
	for i := range nodes {
		go func() {
			s, err := Start(Config{
				Addr: "127.0.0.1:0", StoreDir: t.TempDir(), Name: fmt.Sprintf("n%d", i+1),
				ClusterAddr: fmt.Sprintf("127.0.0.1:%d", ports[i]), Routes: routes,
			})
			nodes[i] = s
			errc <- err
		}()
	}
	for range nodes {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range nodes {
		t.Cleanup(s.Shutdown)
	}
	waitReady(t, nodes)
	if !nodes[0].Clustered() {
		t.Fatal("node 1 does not run JetStream clustered")
	}

	nc, err := nats.Connect(nodes[0].ClientURL() + "," + nodes[1].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := nc.JetStream(nats.MaxWait(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	info, err := js.AddStream(&nats.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Replicas: 3})
	if err != nil {
		t.Fatalf("add a 3-replica stream: %v", err)
	}
	if got := len(info.Cluster.Replicas) + 1; got != 3 {
		t.Fatalf("stream has %d copies, want 3", got)
	}
	nodes[2].Shutdown()
	// When the stopped node led the stream, the other two elect a new
	// leader first (a few seconds at most): until then a publish finds
	// no responder. The write must then be accepted by the two left.
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := js.Publish("t.a", []byte("x"))
		if err == nil {
			break
		}
		if !errors.Is(err, nats.ErrNoStreamResponse) || time.Now().After(deadline) {
			t.Fatalf("publish with one node of three down: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitReady(t *testing.T, nodes []*Server) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range nodes {
		for !s.Ready() {
			if time.Now().After(deadline) {
				t.Fatal("cluster not ready after 30s")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func TestClusterConfigIsChecked(t *testing.T) {
	tests := []Config{
		{Addr: "127.0.0.1:0", StoreDir: "x", Name: "a", Routes: []string{"nats://h:6222"}},
		{Addr: "127.0.0.1:0", StoreDir: "x", Name: "a", ClusterAddr: "nope"},
		{Addr: "127.0.0.1:0", StoreDir: "x", Name: "a", ClusterAddr: "127.0.0.1:0"},
		{Addr: "127.0.0.1:0", StoreDir: "x", ClusterAddr: "127.0.0.1:6222"},
		{Addr: "127.0.0.1:0", StoreDir: "x", Name: "a", ClusterAddr: "127.0.0.1:6222", Routes: []string{"http://h"}},
	}
	for _, c := range tests {
		if _, err := Start(c); err == nil {
			t.Errorf("Start(%+v) succeeded", c)
		}
	}
}
