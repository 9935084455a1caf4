package notifications

import (
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	return addr
}

// runBackground runs svc.Background until the test ends.
func runBackground(t *testing.T, svc *Service) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.Background(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// eventually polls cond for up to five seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// onlyMessage returns the one message in svc's mailbox.
func onlyMessage(t *testing.T, svc *Service) message {
	t.Helper()
	ms := allMessages(t, svc)
	if len(ms) != 1 {
		t.Fatalf("mailbox holds %d messages, want 1", len(ms))
	}
	return ms[0]
}

func deliveryState(t *testing.T, svc *Service, id string) delivery {
	t.Helper()
	d, err := svc.store.deliveryOf(context.Background(), id)
	if err != nil {
		t.Fatalf("deliveryOf: %v", err)
	}
	return d
}

func TestSMTPDeliversEachMessageOnce(t *testing.T) {
	f := startFakeSMTP(t, "127.0.0.1:0")
	svc := newTestService(t, "sqlite", Config{SMTP: SMTP{Addr: f.addr(), From: "Bazaar Shop <shop@bazaar.test>", Poll: 20 * time.Millisecond}})
	runBackground(t, svc)

	ev := envelope(t, "ev-1", TypeOrderPlaced, placed("ord-1", "Ada@Example.com"))
	mustApply(t, svc, ev)
	eventually(t, "the message at the SMTP server", func() bool { return len(f.mails()) == 1 })
	mustApply(t, svc, ev)                                                                             // redelivered
	mustApply(t, svc, envelope(t, "ev-2", TypeOrderPlaced, placed("ord-1", "ada@example.com")))       // republished
	mustApply(t, svc, envelope(t, "ev-3", TypeOrderConfirmed, confirmed("ord-1", "ada@example.com"))) // a new message
	eventually(t, "the second message at the SMTP server", func() bool { return len(f.mails()) == 2 })
	if n := svc.deliverer.deliverDue(context.Background()); n != 0 {
		t.Fatalf("deliverDue sent %d more", n)
	}
	if got := len(f.mails()); got != 2 {
		t.Fatalf("server received %d mails, want 2", got)
	}

	ms := allMessages(t, svc)
	first := ms[1]
	got := f.mails()[0]
	if got.From != "shop@bazaar.test" || len(got.To) != 1 || got.To[0] != "ada@example.com" {
		t.Fatalf("envelope = from %q to %q", got.From, got.To)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got.Data))
	if err != nil {
		t.Fatalf("parse mail: %v", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != first.Subject {
		t.Errorf("Subject = %q (%v), want %q", subject, err, first.Subject)
	}
	if h := msg.Header.Get("Message-Id"); h != "<"+first.ID+"@bazaar.test>" {
		t.Errorf("Message-ID = %q", h)
	}
	if h := msg.Header.Get("From"); h != `"Bazaar Shop" <shop@bazaar.test>` {
		t.Errorf("From = %q", h)
	}
	if h := msg.Header.Get("Content-Type"); h != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q", h)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("decode body: %v", err)
	}
	if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != first.Body+"\n" {
		t.Errorf("body =\n%s\n--- want ---\n%s", got, first.Body)
	}
	if d := deliveryState(t, svc, first.ID); d.State != stateSent || d.Attempts != 1 {
		t.Errorf("delivery = %+v, want sent after 1 attempt", d)
	}
}

func TestSMTPRetriesAfterServerWasDown(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	addr := freeAddr(t)
	svc := newTestService(t, "sqlite", Config{Now: clk.Now, SMTP: SMTP{Addr: addr, RetryBase: time.Minute, Timeout: 2 * time.Second}})
	c := serve(t, svc)
	ctx := context.Background()

	mustApply(t, svc, envelope(t, "ev-1", TypeOrderConfirmed, confirmed("ord-1", "ada@example.com")))
	if n := svc.deliverer.deliverDue(ctx); n != 0 {
		t.Fatalf("deliverDue with the server down sent %d", n)
	}
	m := onlyMessage(t, svc)
	d := deliveryState(t, svc, m.ID)
	if d.State != statePending || d.Attempts != 1 || d.LastError == "" || !d.NextAttemptTime.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("delivery after a refused connection = %+v, want pending, 1 attempt, retry in a minute", d)
	}
	// The mailbox has the message all along.
	list, err := c.ListMessages(ctx, nil)
	if err != nil || len(list.GetMessages()) != 1 {
		t.Fatalf("ListMessages while SMTP is down = %v, %v", list, err)
	}

	f := startFakeSMTP(t, addr)
	if n := svc.deliverer.deliverDue(ctx); n != 0 || len(f.mails()) != 0 {
		t.Fatalf("a retry went out before it was due: sent %d", n)
	}
	clk.Advance(time.Minute)
	if n := svc.deliverer.deliverDue(ctx); n != 1 {
		t.Fatalf("deliverDue after the server came back sent %d, want 1", n)
	}
	if len(f.mails()) != 1 || f.mails()[0].To[0] != "ada@example.com" {
		t.Fatalf("server received %+v", f.mails())
	}
	if d := deliveryState(t, svc, m.ID); d.State != stateSent || d.Attempts != 2 || d.LastError != "" {
		t.Fatalf("delivery = %+v, want sent after 2 attempts", d)
	}
}

func TestSMTPLoopRetriesUntilServerIsUp(t *testing.T) {
	addr := freeAddr(t)
	svc := newTestService(t, "sqlite", Config{SMTP: SMTP{Addr: addr, Poll: 10 * time.Millisecond, RetryBase: 20 * time.Millisecond, RetryMax: 50 * time.Millisecond}})
	runBackground(t, svc)
	mustApply(t, svc, envelope(t, "ev-1", TypeOrderPlaced, placed("ord-1", "ada@example.com")))
	m := onlyMessage(t, svc)
	eventually(t, "two failed attempts", func() bool { return deliveryState(t, svc, m.ID).Attempts >= 2 })
	f := startFakeSMTP(t, addr)
	eventually(t, "the message at the SMTP server", func() bool { return len(f.mails()) == 1 })
	eventually(t, "the delivery marked sent", func() bool { return deliveryState(t, svc, m.ID).State == stateSent })
}

func TestSMTPReplies(t *testing.T) {
	tests := []struct {
		name      string
		rcptReply string
		wantState string
	}{
		{"mailbox unavailable is final", "550 5.1.1 no such user", stateFailed},
		{"temporary failure is retried", "451 4.3.0 try again later", statePending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakeSMTP(t, "127.0.0.1:0")
			f.setRcptReply(tt.rcptReply)
			clk := &clock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
			svc := newTestService(t, "sqlite", Config{Now: clk.Now, SMTP: SMTP{Addr: f.addr(), RetryBase: time.Second}})
			mustApply(t, svc, envelope(t, "ev-1", TypeOrderPlaced, placed("ord-1", "ada@example.com")))
			if n := svc.deliverer.deliverDue(context.Background()); n != 0 {
				t.Fatalf("sent %d", n)
			}
			m := onlyMessage(t, svc)
			d := deliveryState(t, svc, m.ID)
			if d.State != tt.wantState || d.Attempts != 1 || !strings.Contains(d.LastError, tt.rcptReply[:3]) {
				t.Fatalf("delivery = %+v, want %s after 1 attempt", d, tt.wantState)
			}
			// Later rounds: a final refusal is never retried.
			f.setRcptReply("")
			clk.Advance(time.Hour)
			wantSent := 0
			if tt.wantState == statePending {
				wantSent = 1
			}
			if n := svc.deliverer.deliverDue(context.Background()); n != wantSent {
				t.Fatalf("later round sent %d, want %d", n, wantSent)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		want     time.Duration
	}{
		{1, 5 * time.Second},
		{2, 10 * time.Second},
		{3, 20 * time.Second},
		{7, 320 * time.Second},
		{8, 600 * time.Second},
		{1000, 600 * time.Second},
	}
	for _, tt := range tests {
		if got := backoff(5*time.Second, 10*time.Minute, tt.attempts); got != tt.want {
			t.Errorf("backoff after %d attempts = %v, want %v", tt.attempts, got, tt.want)
		}
	}
}

func TestBadSMTPSettingsFailAtStart(t *testing.T) {
	for _, cfg := range []SMTP{{Addr: "no-port"}, {Addr: "127.0.0.1:25", From: "not an address"}} {
		_, err := New(context.Background(), Config{DSN: t.TempDir() + "/n.db", SMTP: cfg}, Deps{}, nil)
		if err == nil || !strings.Contains(err.Error(), "smtp") {
			t.Errorf("New with %+v: error = %v, want one naming smtp", cfg, err)
		}
	}
}
