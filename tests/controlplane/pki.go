package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// pki holds the paths of everything `up` generates under DIR/pki.
// Files are reused when present, so a restarted cluster keeps its identity.
type pki struct {
	Dir               string
	CACert, CAKey     string
	ServingCert       string // kube-apiserver, 127.0.0.1 + in-cluster names
	ServingKey        string
	SAKey, SAPub      string // service-account token signing pair
	KubeletClientCert string // kube-apiserver -> node agent (pods/log, exec)
	KubeletClientKey  string
	NodeServingCert   string // kwok's kubelet-like HTTPS endpoint
	NodeServingKey    string
	caCert            *x509.Certificate
	caKey             crypto.Signer
}

// clientIdentity is a client certificate identity (CN = user, O = groups).
type clientIdentity struct {
	File   string // base name under pki/
	User   string
	Groups []string
}

// Control-plane identities use client certificates so that the token file
// holds only the test users. "rc-bootstrap" is the harness's own
// break-glass identity (system:masters); the test users are not.
var (
	bootstrapIdentity = clientIdentity{"bootstrap", "rc-bootstrap", []string{"system:masters"}}
	kcmIdentity       = clientIdentity{"kube-controller-manager", "system:kube-controller-manager", nil}
	schedIdentity     = clientIdentity{"kube-scheduler", "system:kube-scheduler", nil}
	// kwok patches node and pod status for every pod on its nodes, more than
	// the Node authorizer grants one kubelet: it gets the break-glass group too.
	kwokIdentity = clientIdentity{"kwok", "rc-kwok", []string{"system:masters"}}
)

func newPKI(dir string) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &pki{
		Dir:               dir,
		CACert:            filepath.Join(dir, "ca.crt"),
		CAKey:             filepath.Join(dir, "ca.key"),
		ServingCert:       filepath.Join(dir, "apiserver.crt"),
		ServingKey:        filepath.Join(dir, "apiserver.key"),
		SAKey:             filepath.Join(dir, "sa.key"),
		SAPub:             filepath.Join(dir, "sa.pub"),
		KubeletClientCert: filepath.Join(dir, "apiserver-kubelet-client.crt"),
		KubeletClientKey:  filepath.Join(dir, "apiserver-kubelet-client.key"),
		NodeServingCert:   filepath.Join(dir, "node-serving.crt"),
		NodeServingKey:    filepath.Join(dir, "node-serving.key"),
	}
	if err := p.ensureCA(); err != nil {
		return nil, err
	}
	loopback := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	// 172.30.0.1 is the first IP of the service CIDR (up.go), i.e. the
	// in-cluster "kubernetes" service that pods (or the operator) may use.
	apiIPs := append(loopback, net.ParseIP("172.30.0.1"))
	apiNames := []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	if err := p.ensureCert(p.ServingCert, p.ServingKey, "kube-apiserver", nil, apiNames, apiIPs, x509.ExtKeyUsageServerAuth); err != nil {
		return nil, err
	}
	if err := p.ensureCert(p.KubeletClientCert, p.KubeletClientKey, "kube-apiserver-kubelet-client", []string{"system:masters"}, nil, nil, x509.ExtKeyUsageClientAuth); err != nil {
		return nil, err
	}
	if err := p.ensureCert(p.NodeServingCert, p.NodeServingKey, "kwok-node", nil, []string{"localhost"}, loopback, x509.ExtKeyUsageServerAuth); err != nil {
		return nil, err
	}
	for _, id := range []clientIdentity{bootstrapIdentity, kcmIdentity, schedIdentity, kwokIdentity} {
		crt, key := p.clientFiles(id)
		if err := p.ensureCert(crt, key, id.User, id.Groups, nil, nil, x509.ExtKeyUsageClientAuth); err != nil {
			return nil, err
		}
	}
	if err := p.ensureSAKey(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *pki) clientFiles(id clientIdentity) (crt, key string) {
	return filepath.Join(p.Dir, id.File+".crt"), filepath.Join(p.Dir, id.File+".key")
}

func (p *pki) ensureCA() error {
	if exists(p.CACert) && exists(p.CAKey) {
		cert, err := readCert(p.CACert)
		if err != nil {
			return err
		}
		key, err := readKey(p.CAKey)
		if err != nil {
			return err
		}
		p.caCert, p.caKey = cert, key
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "rc-controlplane test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return err
	}
	cert, _ := x509.ParseCertificate(der)
	p.caCert, p.caKey = cert, key
	if err := writeKey(p.CAKey, key); err != nil {
		return err
	}
	return writePEM(p.CACert, "CERTIFICATE", der, 0o644)
}

// ensureCert issues a leaf certificate signed by the CA unless both files exist.
func (p *pki) ensureCert(certFile, keyFile, cn string, orgs, dnsNames []string, ips []net.IP, usage x509.ExtKeyUsage) error {
	if exists(certFile) && exists(keyFile) {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		DNSNames:     dnsNames,
		IPAddresses:  ips,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, key.Public(), p.caKey)
	if err != nil {
		return err
	}
	if err := writeKey(keyFile, key); err != nil {
		return err
	}
	return writePEM(certFile, "CERTIFICATE", der, 0o644)
}

// ensureSAKey makes the service-account signing pair. RSA (RS256) because
// every JWT library verifies it.
func (p *pki) ensureSAKey() error {
	if exists(p.SAKey) && exists(p.SAPub) {
		return nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	if err := writeKey(p.SAKey, key); err != nil {
		return err
	}
	return writePEM(p.SAPub, "PUBLIC KEY", pub, 0o644)
}

// writeKubeconfig writes a kubeconfig for a client-certificate identity.
func (p *pki) writeKubeconfig(path, server string, id clientIdentity) error {
	crt, key := p.clientFiles(id)
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["rc"] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: p.CACert}
	cfg.AuthInfos[id.User] = &clientcmdapi.AuthInfo{ClientCertificate: crt, ClientKey: key}
	cfg.Contexts["rc"] = &clientcmdapi.Context{Cluster: "rc", AuthInfo: id.User}
	cfg.CurrentContext = "rc"
	return clientcmd.WriteToFile(*cfg, path)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err)
	}
	return n
}

// randomToken returns 32 random bytes, base64url: valid in a bearer header
// and in the token file's CSV without quoting.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func writeKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode)
}

func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM data", path)
	}
	return x509.ParseCertificate(blk.Bytes)
}

func readKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM data", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New(path + ": not a signing key")
	}
	return s, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
