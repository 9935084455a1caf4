package server

import "google.golang.org/grpc"

// securityOptions are the transport credentials and stream interceptors
// of cfg: with Credentials (mutual TLS from platform/identity) a client
// without a certificate from the shop's CA fails the handshake before any
// call; the per-call authorization interceptors come with the Unary and
// Stream interceptor lists.
func securityOptions(cfg Config) []grpc.ServerOption {
	var opts []grpc.ServerOption
	if cfg.Credentials != nil {
		opts = append(opts, grpc.Creds(cfg.Credentials))
	}
	if len(cfg.StreamInterceptors) > 0 {
		opts = append(opts, grpc.ChainStreamInterceptor(cfg.StreamInterceptors...))
	}
	return opts
}
