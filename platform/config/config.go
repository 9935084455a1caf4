// Package config reads a program's settings from command-line flags and
// environment variables, with working defaults, and fails at start with a
// message that names the setting when a value is bad.
//
// Every flag "some-name" may also be given as the environment variable
// BAZAAR_SOME_NAME. The command line wins over the environment, which wins
// over the default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
)

// EnvPrefix starts the name of every environment variable Bazaar reads.
const EnvPrefix = "BAZAAR_"

// EnvName returns the environment variable that sets the flag name:
// "grpc-addr" becomes "BAZAAR_GRPC_ADDR".
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// FlagSet is a flag.FlagSet whose flags may also come from the environment.
type FlagSet struct {
	*flag.FlagSet
	checks []check
}

type check struct {
	name string
	ok   func() bool
	msg  string
}

// NewFlagSet returns an empty FlagSet for the named program. Parse reports
// errors instead of exiting, and usage goes nowhere until the caller asks.
func NewFlagSet(program string) *FlagSet {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &FlagSet{FlagSet: fs}
}

// AddrVar defines a host:port flag. The port must be a number (0 means any
// free port); the host may be empty.
func (f *FlagSet) AddrVar(p *string, name, def, usage string) {
	f.Var(&addrValue{p: p, s: def}, name, usage)
	*p = def
}

// Check records a validation that Parse runs once every value is known:
// when ok returns false, Parse fails with msg, naming the flag name.
func (f *FlagSet) Check(name string, ok func() bool, msg string) {
	f.checks = append(f.checks, check{name: name, ok: ok, msg: msg})
}

// Parse reads args, then the environment for every flag not given on the
// command line, then runs the checks. lookupEnv is os.LookupEnv in
// programs and a map in tests. Every problem found is reported, each
// naming both the flag and its environment variable.
func (f *FlagSet) Parse(args []string, lookupEnv func(string) (string, bool)) error {
	if err := f.FlagSet.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%s: %w", f.Name(), err)
	}
	if f.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", f.Name(), f.Arg(0))
	}
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	var errs []error
	f.VisitAll(func(fl *flag.Flag) {
		if set[fl.Name] {
			return
		}
		env := EnvName(fl.Name)
		v, ok := lookupEnv(env)
		if !ok {
			return
		}
		if err := fl.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("invalid value %q for %s (flag -%s): %v", v, env, fl.Name, err))
		}
	})
	for _, c := range f.checks {
		if !c.ok() {
			errs = append(errs, fmt.Errorf("invalid setting -%s (%s): %s", c.name, EnvName(c.name), c.msg))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: %w", f.Name(), errors.Join(errs...))
	}
	return nil
}

// Usage writes the flags, their environment variables and defaults to w.
func (f *FlagSet) Usage(w io.Writer) {
	fmt.Fprintf(w, "Usage of %s:\n", f.Name())
	var names []string
	f.VisitAll(func(fl *flag.Flag) { names = append(names, fl.Name) })
	sort.Strings(names)
	for _, n := range names {
		fl := f.Lookup(n)
		fmt.Fprintf(w, "  -%s (env %s, default %q)\n      %s\n", n, EnvName(n), fl.DefValue, fl.Usage)
	}
}

// addrValue is a flag.Value holding a validated host:port.
type addrValue struct {
	p *string
	s string
}

func (a *addrValue) String() string {
	if a == nil {
		return ""
	}
	return a.s
}

func (a *addrValue) Set(v string) error {
	if err := ValidateAddr(v); err != nil {
		return err
	}
	a.s = v
	*a.p = v
	return nil
}

// ValidateAddr reports whether s is a usable listen or dial address
// (host:port with a numeric port in 0..65535).
func ValidateAddr(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want host:port: %w", err)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number in 0..65535", port)
	}
	return nil
}
