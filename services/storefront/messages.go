package storefront

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// mailboxPageSize is how many messages of each address the page lists.
const mailboxPageSize = 50

// Words of the messages pages.
const (
	mailboxDown  = "Messages are temporarily unavailable. Your orders are not affected; please try again in a moment."
	mailboxEmpty = "Sign in, or place an order, and the e-mails we send about your orders appear here."
	mailboxNone  = "No messages yet. E-mails about your orders appear here a moment after they are sent."
)

// messageView is a message as a page shows it.
type messageView struct {
	ID      string
	To      string
	Subject string
	Body    string
	OrderID string
	Sent    string
	sortKey int64
}

// newMessageView is m ready for a page.
func newMessageView(m *notificationsv1.Message) messageView {
	v := messageView{ID: m.GetId(), To: m.GetTo(), Subject: m.GetSubject(), Body: m.GetBody(), OrderID: m.GetOrderId()}
	if t := m.GetCreateTime(); t.IsValid() {
		v.Sent, v.sortKey = formatTime(t.AsTime()), t.AsTime().UnixNano()
	}
	if v.Subject == "" {
		v.Subject = "(no subject)"
	}
	return v
}

// mailbox is whose messages a session may read.
type mailbox struct {
	// account is the signed-in user's address: all its messages.
	account string
	// checkout is the address of this session's last checkout. It was
	// typed, not proven, so only its messages about this session's own
	// orders are shown.
	checkout string
}

// mailboxOf returns the session's mailbox.
func mailboxOf(sess session) mailbox {
	m := mailbox{account: strings.ToLower(sess.Email), checkout: strings.ToLower(sess.CheckoutEmail)}
	if m.checkout == m.account {
		m.checkout = ""
	}
	return m
}

// empty reports whether the session has no address to read.
func (m mailbox) empty() bool {
	return m.account == "" && m.checkout == ""
}

// mailboxScan is what listMessages gathers, concurrently.
type mailboxScan struct {
	account, checkout []*notificationsv1.Message
	orders            map[string]bool // ids of the session's orders
	errs              [3]error
}

// listMessages returns the newest messages the session may read, newest
// first; it fails when any part cannot be read.
func (s *Storefront) listMessages(ctx context.Context, sess session, box mailbox) ([]messageView, error) {
	ctx, cancel := s.withCall(ctx)
	defer cancel()
	var scan mailboxScan
	var wg sync.WaitGroup
	list := func(to string, into *[]*notificationsv1.Message, err *error) {
		resp, e := s.deps.Notifications.ListMessages(ctx, &notificationsv1.ListMessagesRequest{To: to, PageSize: mailboxPageSize})
		*into, *err = resp.GetMessages(), e
	}
	if box.account != "" {
		wg.Go(func() { list(box.account, &scan.account, &scan.errs[0]) })
	}
	if box.checkout != "" {
		wg.Go(func() { list(box.checkout, &scan.checkout, &scan.errs[1]) })
		wg.Go(func() { scan.orders, scan.errs[2] = s.orderIDs(ctx, sess) })
	}
	wg.Wait()
	for i, err := range scan.errs {
		if err != nil {
			if i < 2 {
				s.logCallFailure(ctx, "notifications", "ListMessages", err)
			}
			return nil, fmt.Errorf("list messages: %w", err)
		}
	}
	var out []messageView
	for _, m := range scan.account {
		if strings.ToLower(m.GetTo()) == box.account {
			out = append(out, newMessageView(m))
		}
	}
	for _, m := range scan.checkout {
		if strings.ToLower(m.GetTo()) == box.checkout && scan.orders[m.GetOrderId()] {
			out = append(out, newMessageView(m))
		}
	}
	slices.SortStableFunc(out, func(a, b messageView) int { return cmp.Compare(b.sortKey, a.sortKey) })
	return out, nil
}

// orderIDs returns the ids of the session's latest orders.
func (s *Storefront) orderIDs(ctx context.Context, sess session) (map[string]bool, error) {
	resp, err := s.listOrders(ctx, sess, maxOrdersPageSize, "")
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(resp.GetOrders()))
	for _, o := range resp.GetOrders() {
		ids[o.GetId()] = true
	}
	return ids, nil
}

// getMessage returns message id when the session may read it; NOT_FOUND
// otherwise.
func (s *Storefront) getMessage(ctx context.Context, sess session, box mailbox, id string) (*notificationsv1.Message, error) {
	cctx, cancel := s.withCall(ctx)
	defer cancel()
	resp, err := s.deps.Notifications.GetMessage(cctx, &notificationsv1.GetMessageRequest{Id: id})
	if err != nil {
		s.logCallFailure(ctx, "notifications", "GetMessage", err)
		return nil, fmt.Errorf("get message %s: %w", id, err)
	}
	m := resp.GetMessage()
	switch to := strings.ToLower(m.GetTo()); {
	case to != "" && to == box.account:
		return m, nil
	case to != "" && to == box.checkout && validOpaqueID(m.GetOrderId()):
		if _, err := s.getOrder(ctx, sess, m.GetOrderId()); err != nil {
			return nil, fmt.Errorf("get message %s: %w", id, err)
		}
		return m, nil
	default:
		return nil, fmt.Errorf("get message %s: %w", id, status.Error(codes.NotFound, "message to another address"))
	}
}

// handleMessages serves GET /messages: the e-mails sent to the signed-in
// user, and those about this session's orders sent to the address given
// at its checkout. While notifications (or, for the latter, orders) is
// down the page says so.
func (s *Storefront) handleMessages(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c := s.fetchCommon(ctx, true)
	sess := sessionOf(r)
	box := mailboxOf(sess)
	var list []messageView
	var err error
	if !box.empty() {
		list, err = s.listMessages(ctx, sess, box)
	}
	c.wait()
	want := s.sessionCurrency(r, c.currencies, c.known)
	d := newPage(r, c.layout("Messages", "", want, ""))
	d.Messages = list
	code := http.StatusOK
	switch {
	case box.empty():
		d.MailboxNote = mailboxEmpty
	case err != nil:
		d.MailboxNote, code = mailboxDown, http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	case len(list) == 0:
		d.MailboxNote = mailboxNone
	}
	s.render(w, r, code, "messages", d)
}

// handleMessage serves GET /messages/{id}: one message, when the session
// may read it (see handleMessages); 404 otherwise.
func (s *Storefront) handleMessage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	say := says{notFound: "We couldn't find that message.", unavailable: mailboxDown}
	sess := sessionOf(r)
	box := mailboxOf(sess)
	if !validOpaqueID(id) || box.empty() {
		s.renderFailure(w, r, callFailure(status.Error(codes.NotFound, "no message"), say))
		return
	}
	c := s.fetchCommon(ctx, true)
	m, err := s.getMessage(ctx, sess, box, id)
	c.wait()
	if err != nil {
		s.renderFailure(w, r, callFailure(err, say))
		return
	}
	v := newMessageView(m)
	want := s.sessionCurrency(r, c.currencies, c.known)
	d := newPage(r, c.layout(v.Subject, "", want, ""))
	d.Mail = &v
	s.render(w, r, http.StatusOK, "message", d)
}
