package storefront

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxEmailBytes bounds an e-mail address (RFC 5321's path limit).
const maxEmailBytes = 254

// fieldError is what is wrong with one input: named as the HTML form
// names it and as the JSON API does ("postal_code", "address.postal_code").
type fieldError struct {
	input   string
	api     string
	message string
}

// fieldErrors are a form's problems, in the order of its inputs.
type fieldErrors []fieldError

// add records a problem unless the input already has one.
func (e *fieldErrors) add(input, api, message string) {
	if e.of(input) == "" {
		*e = append(*e, fieldError{input: input, api: api, message: message})
	}
}

// of returns the problem of input, or "".
func (e fieldErrors) of(input string) string {
	for _, f := range e {
		if f.input == input {
			return f.message
		}
	}
	return ""
}

// apiFailure is the 400 answer of the JSON API: the first problem, named
// by its JSON field.
func (e fieldErrors) apiFailure() failure {
	return badRequest(e[0].api + ": " + e[0].message)
}

// field is one input of a form as shown.
type field struct {
	Name         string
	Label        string
	Type         string // "text", "email", "password"
	Value        string
	Error        string
	Autocomplete string
	InputMode    string
	MaxLen       int
	Hint         string
}

// fieldGroup is a titled set of inputs.
type fieldGroup struct {
	Legend string
	Fields []field
}

// formView is a form as shown: its inputs with the values kept and the
// problems found, a form-wide message and the hidden idempotency key.
type formView struct {
	Heading string
	Intro   string
	Action  string
	Submit  string
	Groups  []fieldGroup
	Key     string // idempotency key of the submission
	Return  string // local path to go to after success
	Message string // what went wrong as a whole; empty when nothing did
	Alt     string // link to the other account form
	AltText string
}

// fill sets each field's value from values (unless it is a secret) and
// its problem from errs.
func fill(groups []fieldGroup, values map[string]string, errs fieldErrors) []fieldGroup {
	for gi := range groups {
		for fi := range groups[gi].Fields {
			f := &groups[gi].Fields[fi]
			if f.Type != "password" && !secretInput(f.Name) {
				f.Value = values[f.Name]
			}
			f.Error = errs.of(f.Name)
		}
	}
	return groups
}

// secretInput reports whether an input is never sent back to the browser.
func secretInput(name string) bool {
	return name == "card_number" || name == "cvv" || name == "password"
}

// validEmail reports whether s is a plain e-mail address: local@domain
// with a dot in the domain, no display name, at most 254 bytes.
func validEmail(s string) bool {
	if s == "" || len(s) > maxEmailBytes || strings.ContainsAny(s, " \t\r\n<>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	_, domain, _ := strings.Cut(s, "@")
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// validText reports whether s is 1 to maxBytes bytes of printable UTF-8
// on one line.
func validText(s string, maxBytes int) bool {
	if s == "" || len(s) > maxBytes || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
