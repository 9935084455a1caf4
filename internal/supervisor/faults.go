package supervisor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

// SetFault puts a fault rule in force between two services, replacing the
// rule of the same pair if there is one. The rule is published in the
// registry; every instance of f.From applies it to its calls to f.To
// within about a quarter of a second. Rules last until cleared or until
// the supervisor stops (a new supervisor starts without any).
func (s *Supervisor) SetFault(f registry.Fault) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("set fault: %w: %v", ErrInvalid, err)
	}
	s.mu.Lock()
	for _, name := range []string{f.From, f.To} {
		if _, ok := s.services[name]; !ok {
			known := s.serviceNames()
			s.mu.Unlock()
			return fmt.Errorf("set fault: %w service %q (known: %s)", ErrUnknown, name, strings.Join(known, ", "))
		}
	}
	i := slices.IndexFunc(s.faults, func(g registry.Fault) bool { return g.From == f.From && g.To == f.To })
	if i >= 0 {
		s.faults[i] = f
	} else {
		s.faults = append(s.faults, f)
		slices.SortFunc(s.faults, func(a, b registry.Fault) int {
			return strings.Compare(a.From+"\x00"+a.To, b.From+"\x00"+b.To)
		})
	}
	s.mu.Unlock()
	s.cfg.Logger.Warn("fault set", "fault", f.String())
	return s.publish()
}

// ClearFaults removes the rule from→to, or every rule when both are "".
// Naming a pair without a rule is an ErrUnknown error.
func (s *Supervisor) ClearFaults(from, to string) error {
	if (from == "") != (to == "") {
		return fmt.Errorf("clear fault: %w: name both services, or neither to clear every rule", ErrInvalid)
	}
	s.mu.Lock()
	if from == "" {
		s.faults = nil
	} else {
		i := slices.IndexFunc(s.faults, func(g registry.Fault) bool { return g.From == from && g.To == to })
		if i < 0 {
			s.mu.Unlock()
			return fmt.Errorf("clear fault: %w fault rule %s->%s", ErrUnknown, from, to)
		}
		s.faults = slices.Delete(s.faults, i, i+1)
	}
	s.mu.Unlock()
	s.cfg.Logger.Warn("faults cleared", "from", from, "to", to)
	return s.publish()
}

// Faults returns the rules in force, sorted by From, then To.
func (s *Supervisor) Faults() []registry.Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.faults)
}
