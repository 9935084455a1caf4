package supervisor

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// say makes a fake instance print a line.
func say(t *testing.T, in Info, line string) {
	t.Helper()
	resp, err := http.Get("http://" + in.AdminAddr + "/say?line=" + url.QueryEscape(line))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// collector gathers the lines Logs sends.
type collector struct {
	mu    sync.Mutex
	lines []LogLine
}

func (c *collector) add(l LogLine) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, l)
	return nil
}

func (c *collector) has(want LogLine) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		if l == want {
			return true
		}
	}
	return false
}

func TestLogsTailsThenFollowsEveryInstance(t *testing.T) {
	s := newTestSupervisor(t)
	startFake(t, s, fakeSpec(t, "ok"), 2)
	other := fakeSpec(t, "ok")
	other.Name = "other"
	if _, err := s.Start(context.Background(), other); err != nil {
		t.Fatal(err)
	}

	var tail collector
	if err := s.Logs(context.Background(), LogOptions{Service: "fake", Tail: 10}, tail.add); err != nil {
		t.Fatal(err)
	}
	want := []LogLine{
		{Instance: "fake-1", Service: "fake", Line: "fake fake-1 starting"},
		{Instance: "fake-2", Service: "fake", Line: "fake fake-2 starting"},
	}
	if !reflect.DeepEqual(tail.lines, want) {
		t.Fatalf("tail of fake = %+v, want %+v", tail.lines, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var follow collector
	done := make(chan error, 1)
	go func() { done <- s.Logs(ctx, LogOptions{Service: "fake", Follow: true}, follow.add) }()
	time.Sleep(3 * logPollEvery) // following from the end now
	st := statusOf(s)
	say(t, st[0], "hello from one")
	say(t, st[1], "hello from two")
	if err := s.Scale(context.Background(), "fake", 3); err != nil { // a new instance's file
		t.Fatal(err)
	}
	for _, w := range []LogLine{
		{Instance: "fake-1", Service: "fake", Line: "hello from one"},
		{Instance: "fake-2", Service: "fake", Line: "hello from two"},
		{Instance: "fake-3", Service: "fake", Line: "fake fake-3 starting"},
	} {
		eventually(t, "line "+w.Line, func() bool { return follow.has(w) })
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Logs after its context ended = %v, want nil", err)
	}
	for _, l := range follow.lines {
		if l.Service != "fake" || strings.Contains(l.Line, "starting") && l.Instance != "fake-3" {
			t.Errorf("following from the end sent %+v", l)
		}
	}
}

func TestLogsMergesByTimeAndCutsPartialLines(t *testing.T) {
	s := newTestSupervisor(t)
	dir := filepath.Join(s.DataDir(), "logs")
	write := func(name, data string) {
		t.Helper()
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(data); err != nil {
			t.Fatal(err)
		}
	}
	write("a-1.log", `{"time":"2026-01-01T10:00:00Z","msg":"a first"}`+"\n"+`{"time":"2026-01-01T10:00:02Z","msg":"a third"}`+"\n")
	write("b-1.log", `{"time":"2026-01-01T10:00:01Z","msg":"b second"}`+"\n"+"plain line after b\n"+"half a li")
	write("notes.txt", "not a log\n")
	tl := &logTailer{dir: dir, files: map[string]*logFile{}}
	lines, err := tl.start(time.Time{}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, l := range lines {
		texts = append(texts, l.Instance+": "+l.Line)
	}
	want := []string{
		`b-1: {"time":"2026-01-01T10:00:01Z","msg":"b second"}`,
		"b-1: plain line after b",
		`a-1: {"time":"2026-01-01T10:00:02Z","msg":"a third"}`,
	}
	if !reflect.DeepEqual(texts, want) {
		t.Errorf("tail 3 = %q, want %q", texts, want)
	}

	// The half line is sent once it ends.
	write("b-1.log", "ne\n")
	lines, err = tl.poll()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0].Line != "half a line" || lines[0].Service != "b" {
		t.Errorf("poll after the line ended = %+v, want the whole line", lines)
	}
}

func TestLogsRejectsBadRequests(t *testing.T) {
	s := newTestSupervisor(t)
	startFake(t, s, fakeSpec(t, "ok"), 1)
	for _, opts := range []LogOptions{{Service: "nope"}, {Tail: -1}, {Tail: MaxLogTail + 1}} {
		err := s.Logs(context.Background(), opts, func(LogLine) error { return nil })
		if !errors.Is(err, ErrUnknown) && !errors.Is(err, ErrInvalid) {
			t.Errorf("Logs(%+v) = %v, want ErrUnknown or ErrInvalid", opts, err)
		}
	}
}
