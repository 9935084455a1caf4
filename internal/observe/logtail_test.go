package observe

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func jsonLine(level, msg, instance, traceID string, at time.Time) string {
	svc := serviceOfInstance(instance)
	trace := ""
	if traceID != "" {
		trace = fmt.Sprintf(`,"trace_id":%q,"span_id":"00f067aa0ba902b7"`, traceID)
	}
	return fmt.Sprintf(`{"time":%q,"level":%q,"msg":%q,"service":%q,"instance":%q,"version":"v0.9.0","order":"o-1","n":3%s}`+"\n",
		at.Format(time.RFC3339Nano), level, msg, svc, instance, trace)
}

func msgs(lines []LogLine) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Msg
	}
	return out
}

func newTail(t *testing.T, dir string, cfg LogConfig) *LogTail {
	t.Helper()
	cfg.Dir = dir
	tail, err := NewLogTail(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tail
}

func poll(t *testing.T, tail *LogTail) {
	t.Helper()
	if err := tail.Poll(); err != nil {
		t.Fatal(err)
	}
}

func TestLogTailFollowsAppendedFiles(t *testing.T) {
	dir := t.TempDir()
	orders := filepath.Join(dir, "orders-1.log")
	var old strings.Builder
	for i := range 100 {
		old.WriteString(jsonLine("INFO", fmt.Sprintf("old %d", i), "orders-1", "", t0.Add(time.Duration(i)*time.Millisecond)))
	}
	appendFile(t, orders, old.String())
	tail := newTail(t, dir, LogConfig{Backlog: 1000})
	poll(t, tail)

	backlog := tail.Lines(LogFilter{}, 0)
	if len(backlog) == 0 || len(backlog) > 10 {
		t.Fatalf("backlog read %d lines of a 1000-byte tail", len(backlog))
	}
	if last := backlog[len(backlog)-1].Msg; last != "old 99" {
		t.Errorf("last backlog line %q, want old 99", last)
	}
	for _, l := range backlog {
		if !strings.HasPrefix(l.Msg, "old ") {
			t.Errorf("backlog line cut in the middle: %+v", l)
		}
	}
	seq := tail.LastSeq()

	// An appended line, a line in two writes, a file that appears later
	// and a line that is not JSON.
	appendFile(t, orders, jsonLine("WARN", "payment slow", "orders-1", "4bf92f3577b34da6a3ce929d0e0e4736", t0.Add(time.Second)))
	half := jsonLine("ERROR", "charge failed", "orders-1", "", t0.Add(2*time.Second))
	appendFile(t, orders, half[:20])
	appendFile(t, filepath.Join(dir, "payment-2.log"), jsonLine("INFO", "charged", "payment-2", "4bf92f3577b34da6a3ce929d0e0e4736", t0.Add(1500*time.Millisecond))+"panic: boom\n")
	poll(t, tail)
	appendFile(t, orders, half[20:])
	poll(t, tail)

	got := tail.Lines(LogFilter{After: seq}, 0)
	if want := []string{"payment slow", "charged", "panic: boom", "charge failed"}; !slices.Equal(msgs(got), want) {
		t.Fatalf("new lines %q, want %q", msgs(got), want)
	}
	slow := got[0]
	if slow.Level != "WARN" || slow.Service != "orders" || slow.Instance != "orders-1" ||
		slow.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || slow.SpanID != "00f067aa0ba902b7" ||
		slow.Attrs != "n=3 order=o-1" || !slow.Time.Equal(t0.Add(time.Second)) {
		t.Errorf("parsed line = %+v", slow)
	}
	if raw := got[2]; raw.Level != "" || raw.Instance != "payment-2" || raw.Service != "payment" {
		t.Errorf("raw line = %+v", raw)
	}
	if v := tail.Version("payment-2"); v != "v0.9.0" {
		t.Errorf("version of payment-2 = %q", v)
	}

	filters := []struct {
		name string
		f    LogFilter
		want []string
	}{
		{"trace", LogFilter{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}, []string{"payment slow", "charged"}},
		{"warnings and worse", LogFilter{After: seq, MinLevel: "warn"}, []string{"payment slow", "charge failed"}},
		{"service", LogFilter{Service: "payment"}, []string{"charged", "panic: boom"}},
		{"text", LogFilter{Contains: "boom"}, []string{"panic: boom"}},
		{"attribute text", LogFilter{After: seq, Contains: "order=o-1"}, []string{"payment slow", "charged", "charge failed"}},
	}
	for _, tc := range filters {
		if got := msgs(tail.Lines(tc.f, 0)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := msgs(tail.Lines(LogFilter{After: seq}, 2)); !slices.Equal(got, []string{"panic: boom", "charge failed"}) {
		t.Errorf("limit 2 kept %q, want the last two", got)
	}
}

func TestLogTailStartsOverWhenTruncated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cart-1.log")
	appendFile(t, path, jsonLine("INFO", "first run, a long line to be longer than what follows", "cart-1", "", t0))
	tail := newTail(t, dir, LogConfig{})
	poll(t, tail)
	if err := os.WriteFile(path, []byte(jsonLine("INFO", "second run", "cart-1", "", t0)), 0o600); err != nil {
		t.Fatal(err)
	}
	poll(t, tail)
	if got := msgs(tail.Lines(LogFilter{}, 0)); !slices.Equal(got, []string{"first run, a long line to be longer than what follows", "second run"}) {
		t.Errorf("lines %q", got)
	}
}

func TestLogTailKeepsTheLastLines(t *testing.T) {
	dir := t.TempDir()
	tail := newTail(t, dir, LogConfig{MaxLines: 3})
	for i := range 5 {
		appendFile(t, filepath.Join(dir, "cart-1.log"), jsonLine("INFO", fmt.Sprint(i), "cart-1", "", t0.Add(time.Duration(i))))
		poll(t, tail)
	}
	if got := msgs(tail.Lines(LogFilter{}, 0)); !slices.Equal(got, []string{"2", "3", "4"}) {
		t.Errorf("kept %q, want the last three", got)
	}
	if tail.LastSeq() != 5 {
		t.Errorf("LastSeq = %d, want 5", tail.LastSeq())
	}
}

func TestServiceOfInstance(t *testing.T) {
	for id, want := range map[string]string{"catalog-1": "catalog", "catalog-12": "catalog", "nats": "nats", "order-svc": "order-svc", "-1": "-1"} {
		if got := serviceOfInstance(id); got != want {
			t.Errorf("serviceOfInstance(%q) = %q, want %q", id, got, want)
		}
	}
}
