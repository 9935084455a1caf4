package supervisor

// identityEnv is the environment that gives an instance of service its
// mTLS identity: the certificate cfg.PKI holds for it (issued now if it
// has none or it expires within 30 days), its key and the CA. Without a
// PKI it is empty and the instance serves plaintext.
func identityEnv(cfg Config, service string) ([]string, error) {
	if cfg.PKI == nil {
		return nil, nil
	}
	f, err := cfg.PKI.EnsureCert(service)
	if err != nil {
		return nil, err
	}
	return []string{"BAZAAR_TLS_CERT=" + f.Cert, "BAZAAR_TLS_KEY=" + f.Key, "BAZAAR_TLS_CA=" + f.CA}, nil
}
