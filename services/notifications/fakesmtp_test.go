package notifications

import (
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
)

// fakeSMTP is a tiny SMTP server on loopback: it speaks just enough of
// RFC 5321 for net/smtp (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and
// keeps what it receives.
type fakeSMTP struct {
	lis net.Listener
	wg  sync.WaitGroup

	mu       sync.Mutex
	received []receivedMail
	// rcptReply, when set, answers every RCPT TO instead of 250.
	rcptReply string
}

// receivedMail is one message the fake accepted.
type receivedMail struct {
	From string
	To   []string
	Data string
}

// startFakeSMTP listens on addr ("127.0.0.1:0" for any port) until the
// test ends.
func startFakeSMTP(t *testing.T, addr string) *fakeSMTP {
	t.Helper()
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("fake smtp listen %s: %v", addr, err)
	}
	f := &fakeSMTP{lis: lis}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.serve(conn)
			}()
		}
	}()
	t.Cleanup(f.close)
	return f
}

// addr is where the fake listens.
func (f *fakeSMTP) addr() string { return f.lis.Addr().String() }

// close stops the fake and waits for its connections to end.
func (f *fakeSMTP) close() {
	_ = f.lis.Close()
	f.wg.Wait()
}

// setRcptReply makes every RCPT TO answer reply ("550 no such user");
// empty restores 250.
func (f *fakeSMTP) setRcptReply(reply string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rcptReply = reply
}

// mails returns what the fake accepted so far.
func (f *fakeSMTP) mails() []receivedMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]receivedMail(nil), f.received...)
}

// serve speaks SMTP on one connection.
func (f *fakeSMTP) serve(conn net.Conn) {
	tp := textproto.NewConn(conn)
	defer tp.Close()
	var cur receivedMail
	_ = tp.PrintfLine("220 fake.test ESMTP ready")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			_ = tp.PrintfLine("250-fake.test greets %s", arg)
			_ = tp.PrintfLine("250 8BITMIME")
		case "MAIL":
			cur = receivedMail{From: addrArg(arg)}
			_ = tp.PrintfLine("250 ok")
		case "RCPT":
			f.mu.Lock()
			reply := f.rcptReply
			f.mu.Unlock()
			if reply != "" {
				_ = tp.PrintfLine("%s", reply)
				continue
			}
			cur.To = append(cur.To, addrArg(arg))
			_ = tp.PrintfLine("250 ok")
		case "DATA":
			_ = tp.PrintfLine("354 end with <CRLF>.<CRLF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			cur.Data = string(data)
			f.mu.Lock()
			f.received = append(f.received, cur)
			f.mu.Unlock()
			_ = tp.PrintfLine("250 queued")
		case "RSET", "NOOP":
			_ = tp.PrintfLine("250 ok")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 command not implemented")
		}
	}
}

// addrArg extracts the address of "FROM:<a@b>" or "TO:<a@b>".
func addrArg(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	a, _, _ := strings.Cut(rest, ">")
	return a
}
