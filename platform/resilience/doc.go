// Package resilience holds the call-level defences every Bazaar process
// shares, each a small gRPC interceptor (or HTTP middleware) that
// platform/client and platform/server install:
//
//   - priority: every call carries a criticality (critical, default,
//     sheddable) in its metadata, from the edge to the last hop, so an
//     overloaded server sheds recommendations before browsing and browsing
//     before checkout;
//   - deadline budgets: a call whose deadline has passed, or leaves too
//     little for another hop, fails at once instead of doing work nobody
//     waits for, and a server keeps a small reserve of its caller's
//     deadline to answer in;
//   - bulkheads: a cap on calls in flight per upstream, so one slow
//     dependency cannot take every goroutine and socket of its callers;
//   - adaptive load shedding: a server rejects early and cheaply
//     (RESOURCE_EXHAUSTED, HTTP 503) once its CPU is saturated and more
//     calls are in flight than it has recently been able to complete.
//
// Per-instance outlier ejection lives in the sub-package ejection, as a
// gRPC load balancing policy.
package resilience
