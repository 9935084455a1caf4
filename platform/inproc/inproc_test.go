package inproc

import (
	"context"
	"net"
	"testing"
	"time"
)

// accept counts, under name, every connection l accepts.
func accept(l net.Listener, name string, got chan<- string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		got <- name
		c.Close()
	}
}

func TestDialReachesListenersRoundRobin(t *testing.T) {
	n := New()
	a, err := n.Listen("catalog")
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.Listen("catalog")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 4)
	go accept(a, "a", got)
	go accept(b, "b", got)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	seen := map[string]int{}
	for range 4 {
		c, err := n.Dial(ctx, "catalog")
		if err != nil {
			t.Fatal(err)
		}
		seen[<-got]++
		c.Close()
	}
	if seen["a"] != 2 || seen["b"] != 2 {
		t.Errorf("connections per listener = %v, want 2 and 2", seen)
	}
	if a.Addr().String() != "catalog" || a.Addr().Network() != "inproc" {
		t.Errorf("addr = %s/%s", a.Addr().Network(), a.Addr())
	}
	a.Close()
	b.Close()
	if _, err := n.Dial(ctx, "catalog"); err == nil {
		t.Error("dial after every listener closed succeeded")
	}
	if _, err := n.Dial(ctx, "pricing"); err == nil {
		t.Error("dial to an unknown service succeeded")
	}
	if _, err := n.Listen(""); err == nil {
		t.Error("listen on an empty name succeeded")
	}
}
