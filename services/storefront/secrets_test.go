package storefront

import (
	"net/http"
	"strings"
	"testing"
)

// TestSecretsNeverLoggedOrEchoed signs up, fails a sign-in and fails a
// checkout with a card, with debug logging on: neither the password nor
// the card number or security code appears in the logs or in any page
// shown back.
func TestSecretsNeverLoggedOrEchoed(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	const password, wrongPassword = "s3cret-horse-battery", "wr0ng-horse-battery"
	const number, cvv = "4000056655665556", "987"
	var pages []string

	b.get("/signup")
	rec := b.submit("/signup", urlValues("email", "ada@example.com", "name", "Ada", "password", password, "key", b.hidden["key"]))
	pages = append(pages, rec.Body.String())
	b.submit("/signout", urlValues())
	b.get("/signin")
	rec = b.submit("/signin", urlValues("email", "ada@example.com", "password", wrongPassword))
	if rec.Code == http.StatusSeeOther {
		t.Fatal("sign-in with a wrong password succeeded")
	}
	pages = append(pages, rec.Body.String())
	rec = b.api(http.MethodPost, "/api/v1/session", `{"email":"ada@example.com","password":"`+wrongPassword+`"}`)
	pages = append(pages, rec.Body.String())

	b.addToCart("espresso-cup", 1)
	form := b.checkoutPage()
	form.Set("card_number", number)
	form.Set("cvv", cvv)
	form.Set("exp_month", "13") // a field error: the form is shown again
	rec = b.submit("/checkout", form)
	wantStatus(t, rec, http.StatusBadRequest)
	pages = append(pages, rec.Body.String())

	logs := h.logs.String()
	if logs == "" {
		t.Fatal("no logs at debug level: the test would prove nothing")
	}
	for _, secret := range []string{password, wrongPassword, number, cvv + `"`, "5556"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain %q", secret)
		}
		for i, p := range pages {
			if strings.Contains(p, secret) {
				t.Errorf("page %d shows %q back", i, secret)
			}
		}
	}
}
