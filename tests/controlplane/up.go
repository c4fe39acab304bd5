package main

// `rc-controlplane up --dir D` starts a whole test cluster and blocks:
//
//   - embedded etcd and kube-apiserver run in this process (kube-apiserver's
//     command installs the process-wide signal handler, so only one such
//     component can live in a process);
//   - kube-controller-manager, kube-scheduler and kwok run as child processes
//     of this same binary, killed with it (Pdeathsig) and on shutdown.
//
// When the cluster is usable it prints ONE JSON line on stdout (see upStatus)
// and writes the same to D/cluster.json. On failure the line has
// "ready":false and "error", and the process exits 1. SIGINT/SIGTERM (or,
// with --exit-on-stdin-eof, the parent closing our stdin) stop everything.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/component-base/cli"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	kwokcrd "sigs.k8s.io/kwok/kustomize/crd"
	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodeheartbeat "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
)

// testUsers are the token-file users. None is in system:masters: the
// console must work through RBAC like on a real cluster. Only the
// registry-admins group gets a binding here (cluster-admin); every other
// role is the tests' seeding to do.
var testUsers = []struct {
	Name   string
	Groups []string
}{
	{"admin", []string{"registry-admins"}},
	{"auditor", []string{"registry-auditors"}},
	{"developer", nil},
	{"nobody", nil},
}

const (
	serviceAccountIssuer = "https://kubernetes.default.svc.cluster.local"
	// OpenShift's default service and cluster networks, so addresses look
	// familiar (kwok's default pod CIDR would overlap the service range).
	serviceCIDR = "172.30.0.0/16"
	podCIDR     = "10.128.0.0/14"
	// kwok manages only nodes carrying this annotation (kwok's convention).
	kwokNodeAnnotation = "kwok.x-k8s.io/node"
)

// user is one entry of users.json and of the JSON status line.
type user struct {
	Token  string   `json:"token"`
	Groups []string `json:"groups"`
}

// upStatus is the JSON line printed on stdout (and saved as D/cluster.json).
type upStatus struct {
	Ready      bool              `json:"ready"`
	Error      string            `json:"error,omitempty"`
	URL        string            `json:"url,omitempty"`        // https://127.0.0.1:PORT
	CAFile     string            `json:"caFile,omitempty"`     // trust this for URL
	Kubeconfig string            `json:"kubeconfig,omitempty"` // break-glass, system:masters
	TokenFile  string            `json:"tokenFile,omitempty"`
	Users      map[string]user   `json:"users,omitempty"`
	Etcd       string            `json:"etcd,omitempty"`
	Dir        string            `json:"dir,omitempty"`
	LogDir     string            `json:"logDir,omitempty"`
	PID        int               `json:"pid"`
	Nodes      []string          `json:"nodes,omitempty"`
	CRDs       []crdFile         `json:"crds,omitempty"`
	Versions   map[string]string `json:"versions,omitempty"`
	// The identity provider kube-apiserver trusts (--idp-issuer), if any.
	IdP *idpStatus `json:"idp,omitempty"`
	// Seconds since start at which each stage finished.
	Timings map[string]float64 `json:"timings,omitempty"`
}

// idpStatus says how kube-apiserver trusts the test identity provider.
type idpStatus struct {
	Issuer               string   `json:"issuer"`
	CAFile               string   `json:"caFile"`
	Audiences            []string `json:"audiences"`
	TokenReviewURL       string   `json:"tokenReviewUrl"`
	AuthenticationConfig string   `json:"authenticationConfig"`
	WebhookKubeconfig    string   `json:"webhookKubeconfig"`
}

type upOptions struct {
	IdPIssuer      string
	IdPCAFile      string
	IdPAudiences   string
	Dir            string
	Controllers    bool
	KwokNodes      int
	InstallCRDs    bool
	OpenShiftAPI   string
	ExitOnStdinEOF bool
	KeepStderr     bool
	Verbosity      int
	Timeout        time.Duration
	Seed           string
}

func runUp() int {
	fs := flag.NewFlagSet("up", flag.ExitOnError)
	var o upOptions
	fs.StringVar(&o.Dir, "dir", "", "state directory: pki, etcd data, kubeconfigs, logs (required; reused if present)")
	fs.BoolVar(&o.Controllers, "controllers", true, "run kube-controller-manager and kube-scheduler")
	fs.IntVar(&o.KwokNodes, "kwok-nodes", 1, "fake nodes run by kwok (0: no kwok)")
	fs.BoolVar(&o.InstallCRDs, "crds", true, "install the OpenShift CRDs")
	fs.StringVar(&o.OpenShiftAPI, "openshift-api-dir", "", "unpacked github.com/openshift/api (default: from the module cache)")
	fs.BoolVar(&o.ExitOnStdinEOF, "exit-on-stdin-eof", false, "shut down when stdin closes (so a dying test parent takes the cluster with it)")
	fs.BoolVar(&o.KeepStderr, "stderr", false, "leave etcd/kube-apiserver logs on stderr instead of DIR/logs/control-plane.log")
	fs.IntVar(&o.Verbosity, "v", 0, "klog verbosity of the Kubernetes components")
	fs.DurationVar(&o.Timeout, "timeout", 90*time.Second, "give up if the cluster is not ready by then")
	fs.StringVar(&o.Seed, "seed", "", "directory of manifests to apply before reporting ready (see `seed`)")
	fs.StringVar(&o.IdPIssuer, "idp-issuer", "", "trust this OpenID issuer (JWT authenticator) and its <issuer>/tokenreview webhook (the test identity provider, tests/idp)")
	fs.StringVar(&o.IdPCAFile, "idp-ca-file", "", "CA of --idp-issuer (PEM file)")
	fs.StringVar(&o.IdPAudiences, "idp-audiences", "", "comma-separated OIDC client ids accepted as ID token audiences")
	_ = fs.Parse(os.Args[1:])
	if o.Dir == "" {
		fmt.Fprintln(os.Stderr, "up: --dir is required")
		return 2
	}
	if o.IdPIssuer != "" && (o.IdPCAFile == "" || o.IdPAudiences == "") {
		fmt.Fprintln(os.Stderr, "up: --idp-issuer needs --idp-ca-file and --idp-audiences")
		return 2
	}
	if o.IdPCAFile != "" {
		if abs, err := filepath.Abs(o.IdPCAFile); err == nil {
			o.IdPCAFile = abs
		}
	}
	if abs, err := filepath.Abs(o.Dir); err == nil {
		o.Dir = abs
	}
	if o.Seed != "" {
		if abs, err := filepath.Abs(o.Seed); err == nil {
			o.Seed = abs
		}
	}
	u := &upper{opts: o, start: time.Now(), status: upStatus{PID: os.Getpid(), Timings: map[string]float64{}}}
	return u.run()
}

// upper holds the running cluster.
type upper struct {
	opts     upOptions
	start    time.Time
	status   upStatus
	pki      *pki
	logDir   string
	nodePort int // kwok's kubelet-like endpoint

	mu       sync.Mutex
	children []*child
	// childExit reports a child that exited on its own.
	childExit chan error
}

func (u *upper) mark(stage string) {
	u.status.Timings[stage] = float64(time.Since(u.start).Milliseconds()) / 1000
}

// emit prints the status line and saves it; errors here are only reported.
func (u *upper) emit() {
	b, _ := json.Marshal(u.status)
	fmt.Fprintln(os.Stdout, string(b))
	if u.opts.Dir != "" {
		_ = os.WriteFile(filepath.Join(u.opts.Dir, "cluster.json"), append(b, '\n'), 0o644)
	}
}

func (u *upper) fail(err error) int {
	u.status.Ready = false
	u.status.Error = err.Error()
	u.emit()
	fmt.Fprintln(os.Stderr, "up:", err)
	u.stopChildren()
	return 1
}

func (u *upper) run() int {
	o := u.opts
	u.logDir = filepath.Join(o.Dir, "logs")
	u.childExit = make(chan error, 4)
	u.status.Dir, u.status.LogDir = o.Dir, u.logDir
	u.status.Versions = map[string]string{}
	for _, m := range []string{"k8s.io/kubernetes", "go.etcd.io/etcd/server/v3", "sigs.k8s.io/kwok", openshiftAPIModule} {
		u.status.Versions[m], _ = depVersion(m)
	}
	if err := os.MkdirAll(u.logDir, 0o755); err != nil {
		return u.fail(err)
	}
	if !o.KeepStderr {
		// klog and etcd's zap write to fd 2; point it at a file so that
		// stdout/stderr of `up` stay short. Our own errors still reach the
		// caller through the JSON line.
		f, err := os.OpenFile(filepath.Join(u.logDir, "control-plane.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return u.fail(err)
		}
		if err := unix.Dup2(int(f.Fd()), 2); err != nil {
			return u.fail(fmt.Errorf("redirect stderr: %w", err))
		}
	}

	// Both this handler and kube-apiserver's receive SIGINT/SIGTERM. A
	// signal during start-up cancels ctx, so no wait below outlives it.
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "up: %v, shutting down\n", s)
		close(stop)
		cancel()
	}()

	var err error
	if u.pki, err = newPKI(filepath.Join(o.Dir, "pki")); err != nil {
		return u.fail(fmt.Errorf("pki: %w", err))
	}
	users, tokenFile, err := writeTokenFile(o.Dir)
	if err != nil {
		return u.fail(fmt.Errorf("token file: %w", err))
	}
	u.status.Users, u.status.TokenFile, u.status.CAFile = users, tokenFile, u.pki.CACert
	if o.IdPIssuer != "" {
		if u.status.IdP, err = writeIdPConfig(o.Dir, o.IdPIssuer, o.IdPCAFile, o.IdPAudiences); err != nil {
			return u.fail(fmt.Errorf("identity provider config: %w", err))
		}
	}

	// etcd client+peer, apiserver, kwok's kubelet endpoint.
	ports, err := freePorts(4)
	if err != nil {
		return u.fail(err)
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	apiURL := fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	u.status.Etcd, u.status.URL = etcdURL, apiURL
	crds, err := u.loadCRDs()
	if err != nil {
		return u.fail(err)
	}
	u.mark("prepare")

	etcd, err := startEtcd(etcdOptions{
		DataDir:   filepath.Join(o.Dir, "etcd"),
		ClientURL: etcdURL,
		PeerURL:   fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		LogLevel:  "warn",
		NoFsync:   true, // throw-away data; fsync is most of etcd's latency
	})
	if err != nil {
		return u.fail(err)
	}
	// No deferred etcd.Close(): on failure we exit at once; Close would wait
	// for the apiserver's watch streams to end.
	u.mark("etcd")

	apiDone := make(chan int, 1)
	cmd := apiserverapp.NewAPIServerCommand()
	cmd.SetArgs(u.apiserverArgs(etcdURL, ports[2], tokenFile))
	go func() { apiDone <- cli.Run(cmd) }()

	if err := u.waitReadyz(ctx, apiURL, apiDone); err != nil {
		return u.fail(err)
	}
	u.mark("readyz")

	kubeconfig := filepath.Join(o.Dir, "admin.kubeconfig")
	if err := u.pki.writeKubeconfig(kubeconfig, apiURL, bootstrapIdentity); err != nil {
		return u.fail(err)
	}
	u.status.Kubeconfig = kubeconfig
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return u.fail(err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return u.fail(err)
	}

	// Start the controllers now: their start-up overlaps the CRD install.
	if o.Controllers {
		if err := u.startControllers(apiURL); err != nil {
			return u.fail(err)
		}
	}
	if err := bindRegistryAdmins(ctx, client); err != nil {
		return u.fail(err)
	}
	// One batch: kwok's Logs CRDs must exist before kwok starts.
	if err := installCRDs(ctx, cfg, crds); err != nil {
		return u.fail(err)
	}
	u.mark("crds")
	if o.KwokNodes > 0 {
		if err := u.startKwok(apiURL, ports[3]); err != nil {
			return u.fail(err)
		}
		if err := u.createNodes(ctx, client); err != nil {
			return u.fail(err)
		}
		u.mark("nodes")
	}
	if o.Controllers {
		// The service-account controller creating "default" proves the
		// controller manager works; pods are rejected without that SA.
		if err := waitFor(ctx, "kube-controller-manager (default ServiceAccount)", u.childExit, func(ctx context.Context) (bool, error) {
			_, err := client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
			return err == nil, ignoreNotFound(err)
		}); err != nil {
			return u.fail(err)
		}
		u.mark("controllers")
	}
	if o.Seed != "" {
		if _, err := seedCluster(ctx, cfg, o.Seed, false); err != nil {
			return u.fail(fmt.Errorf("seed %s: %w", o.Seed, err))
		}
		u.mark("seed")
	}

	u.status.Ready = true
	u.mark("ready")
	u.emit()

	// Block until told to stop or something dies.
	code := 0
	var stdinEOF <-chan struct{}
	if o.ExitOnStdinEOF {
		stdinEOF = watchStdinEOF()
	}
	select {
	case <-stop:
	case <-stdinEOF:
		fmt.Fprintln(os.Stderr, "up: stdin closed, shutting down")
		// The apiserver stops on its own signal handler only.
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	case err := <-u.childExit:
		u.status.Ready, u.status.Error = false, err.Error()
		u.emit()
		code = 1
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	case c := <-apiDone:
		u.status.Ready, u.status.Error = false, fmt.Sprintf("kube-apiserver exited with code %d (see %s)", c, u.logDir)
		u.emit()
		return 1
	}
	u.stopChildren()
	select {
	case <-apiDone:
	case <-time.After(15 * time.Second):
		fmt.Fprintln(os.Stderr, "up: kube-apiserver did not stop within 15s")
		return code
	}
	// The apiserver is gone, so etcd can close cleanly (fsync'd state for a
	// reused --dir); bounded anyway.
	closed := make(chan struct{})
	go func() { etcd.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		fmt.Fprintln(os.Stderr, "up: etcd did not stop within 5s")
	}
	return code
}

func (u *upper) apiserverArgs(etcdURL string, port int, tokenFile string) []string {
	p := u.pki
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--tls-cert-file=" + p.ServingCert,
		"--tls-private-key-file=" + p.ServingKey,
		"--client-ca-file=" + p.CACert,
		"--token-auth-file=" + tokenFile,
		"--authorization-mode=Node,RBAC",
		"--service-account-issuer=" + serviceAccountIssuer,
		"--service-account-key-file=" + p.SAPub,
		"--service-account-signing-key-file=" + p.SAKey,
		"--service-cluster-ip-range=" + serviceCIDR,
		// pods/log and exec go to kwok's kubelet-like endpoint on the node's InternalIP.
		"--kubelet-client-certificate=" + p.KubeletClientCert,
		"--kubelet-client-key=" + p.KubeletClientKey,
		"--kubelet-certificate-authority=" + p.CACert,
		"--kubelet-preferred-address-types=InternalIP,Hostname",
		// The registry's node-ca DaemonSet is privileged on OpenShift.
		"--allow-privileged=true",
		"--profiling=false",
		fmt.Sprintf("--v=%d", u.opts.Verbosity),
	}
	if idp := u.status.IdP; idp != nil {
		args = append(args,
			"--authentication-config="+idp.AuthenticationConfig,
			"--authentication-token-webhook-config-file="+idp.WebhookKubeconfig,
			"--authentication-token-webhook-version=v1",
			// No webhook cache: a deleted sha256~ token is refused once
			// kube-apiserver's own cache of successful token checks (10 s,
			// all authenticators, not configurable) has dropped it.
			"--authentication-token-webhook-cache-ttl=0s",
		)
	}
	return args
}

// writeIdPConfig writes the AuthenticationConfiguration (a JWT authenticator
// for issuer) and the TokenReview webhook's kubeconfig (<issuer>/tokenreview)
// into dir. User names and groups are taken unprefixed from the ID token's
// preferred_username and groups claims, so OIDC users get the RBAC the seed
// gives the token-file users of the same name.
func writeIdPConfig(dir, issuer, caFile, audiences string) (*idpStatus, error) {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	var auds []string
	for _, a := range strings.Split(audiences, ",") {
		if a = strings.TrimSpace(a); a != "" {
			auds = append(auds, a)
		}
	}
	st := &idpStatus{
		Issuer:               issuer,
		CAFile:               caFile,
		Audiences:            auds,
		TokenReviewURL:       strings.TrimSuffix(issuer, "/") + "/tokenreview",
		AuthenticationConfig: filepath.Join(dir, "authentication-config.json"),
		WebhookKubeconfig:    filepath.Join(dir, "tokenreview-webhook.kubeconfig"),
	}
	jwtIssuer := map[string]any{
		"url":                  issuer,
		"certificateAuthority": string(caPEM),
		"audiences":            auds,
	}
	if len(auds) > 1 {
		jwtIssuer["audienceMatchPolicy"] = "MatchAny"
	}
	authn := map[string]any{
		"apiVersion": "apiserver.config.k8s.io/v1",
		"kind":       "AuthenticationConfiguration",
		"jwt": []any{map[string]any{
			"issuer": jwtIssuer,
			"claimMappings": map[string]any{
				"username": map[string]any{"claim": "preferred_username", "prefix": ""},
				"groups":   map[string]any{"claim": "groups", "prefix": ""},
			},
		}},
	}
	webhook := map[string]any{
		"apiVersion": "v1",
		"kind":       "Config",
		"clusters": []any{map[string]any{"name": "idp", "cluster": map[string]any{
			"server": st.TokenReviewURL, "certificate-authority": caFile,
		}}},
		"users":           []any{map[string]any{"name": "kube-apiserver", "user": map[string]any{}}},
		"contexts":        []any{map[string]any{"name": "idp", "context": map[string]any{"cluster": "idp", "user": "kube-apiserver"}}},
		"current-context": "idp",
	}
	for file, v := range map[string]any{st.AuthenticationConfig: authn, st.WebhookKubeconfig: webhook} {
		b, _ := json.MarshalIndent(v, "", "  ")
		if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// waitReadyz polls /readyz (readable without credentials) until it says ok.
func (u *upper) waitReadyz(ctx context.Context, apiURL string, apiDone <-chan int) error {
	caPEM, err := os.ReadFile(u.pki.CACert)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	hc := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/readyz", nil)
		if resp, err := hc.Do(req); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
		} else {
			last = err.Error()
		}
		select {
		case c := <-apiDone:
			return fmt.Errorf("kube-apiserver exited with code %d before ready (see %s)", c, u.logDir)
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver /readyz not ok (%v): %s", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// loadCRDs reads the OpenShift CRDs (--crds) and, with kwok, kwok's Logs
// and ClusterLogs CRDs: tests create those to give pods a log file that
// pods/log then serves (see README.md). Done before anything starts so that
// a missing openshift/api fails fast.
func (u *upper) loadCRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var list []*apiextensionsv1.CustomResourceDefinition
	if u.opts.InstallCRDs {
		apiDir, err := openshiftAPIDir(u.opts.OpenShiftAPI)
		if err != nil {
			return nil, err
		}
		// The openshift/api CRDs, then the CRDs generated from openshift/api
		// Go types that stand in for OpenShift's aggregated APIs
		// (image.openshift.io ImageStream/Image, oauth.openshift.io
		// OAuthClient/OAuthAccessToken; see generatedCRDFS in crds.go): schema
		// and RBAC only, none of openshift-apiserver's or oauth-apiserver's
		// behaviour. All are installed together and waited for Established.
		files, warnings, err := selectCRDs(apiDir)
		if err != nil {
			return nil, err
		}
		for _, w := range warnings {
			fmt.Fprintln(os.Stderr, "up: warning:", w)
		}
		if list, err = readCRDs(files); err != nil {
			return nil, err
		}
		u.status.CRDs = files
	}
	if u.opts.KwokNodes > 0 {
		for _, b := range [][]byte{kwokcrd.Logs, kwokcrd.ClusterLogs} {
			crd, err := decodeCRD(b)
			if err != nil {
				return nil, fmt.Errorf("kwok CRD: %w", err)
			}
			list = append(list, crd)
		}
	}
	return list, nil
}

// startControllers runs kube-controller-manager and kube-scheduler.
func (u *upper) startControllers(apiURL string) error {
	p := u.pki
	kcmKubeconfig := filepath.Join(u.opts.Dir, "kube-controller-manager.kubeconfig")
	schedKubeconfig := filepath.Join(u.opts.Dir, "kube-scheduler.kubeconfig")
	if err := p.writeKubeconfig(kcmKubeconfig, apiURL, kcmIdentity); err != nil {
		return err
	}
	if err := p.writeKubeconfig(schedKubeconfig, apiURL, schedIdentity); err != nil {
		return err
	}
	v := fmt.Sprintf("--v=%d", u.opts.Verbosity)
	if err := u.startChild("kube-controller-manager",
		"--kubeconfig="+kcmKubeconfig,
		"--secure-port=0", // no metrics endpoint: avoids fixed-port clashes
		"--leader-elect=false",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file="+p.SAKey,
		"--root-ca-file="+p.CACert,
		"--cluster-signing-cert-file="+p.CACert,
		"--cluster-signing-key-file="+p.CAKey,
		"--service-cluster-ip-range="+serviceCIDR,
		// The default 20 QPS makes start-up crawl: every controller gets its
		// own service-account token first.
		"--kube-api-qps=200",
		"--kube-api-burst=400",
		v,
	); err != nil {
		return err
	}
	return u.startChild("kube-scheduler",
		"--kubeconfig="+schedKubeconfig,
		"--secure-port=0",
		"--leader-elect=false",
		v,
	)
}

// startKwok runs kwok with its "fast" stages (nodes become Ready, pods
// Running at once) and its kubelet-like HTTPS endpoint on nodePort.
func (u *upper) startKwok(apiURL string, nodePort int) error {
	p := u.pki
	u.nodePort = nodePort
	kubeconfig := filepath.Join(u.opts.Dir, "kwok.kubeconfig")
	if err := p.writeKubeconfig(kubeconfig, apiURL, kwokIdentity); err != nil {
		return err
	}
	// The same stage set kwokctl uses by default, from kwok's own packages.
	stages := strings.Join([]string{nodefast.DefaultNodeInit, nodeheartbeat.DefaultNodeHeartbeatWithLease,
		podfast.DefaultPodReady, podfast.DefaultPodComplete, podfast.DefaultPodDelete}, "\n---\n")
	config := filepath.Join(u.opts.Dir, "kwok.yaml")
	if err := os.WriteFile(config, []byte(stages), 0o644); err != nil {
		return err
	}
	return u.startChild("kwok",
		"--config="+config,
		"--kubeconfig="+kubeconfig,
		"--manage-nodes-with-annotation-selector="+kwokNodeAnnotation+"=fake",
		"--node-ip=127.0.0.1",
		"--cidr="+podCIDR,
		fmt.Sprintf("--node-port=%d", nodePort),
		fmt.Sprintf("--server-address=127.0.0.1:%d", nodePort),
		"--tls-cert-file="+p.NodeServingCert,
		"--tls-private-key-file="+p.NodeServingKey,
		"--node-lease-duration-seconds=40",
		"--enable-crds=Logs,ClusterLogs",
	)
}

// createNodes registers the kwok nodes and waits until kwok reports them Ready.
func (u *upper) createNodes(ctx context.Context, client kubernetes.Interface) error {
	for i := range u.opts.KwokNodes {
		name := fmt.Sprintf("kwok-node-%d", i)
		res := corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("16"),
			corev1.ResourceMemory: resource.MustParse("64Gi"),
			corev1.ResourcePods:   resource.MustParse("110"),
		}
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{kwokNodeAnnotation: "fake"},
				Labels: map[string]string{
					"kubernetes.io/hostname":         name,
					"kubernetes.io/os":               "linux",
					"kubernetes.io/arch":             "amd64",
					"node-role.kubernetes.io/worker": "",
					"type":                           "kwok",
				},
			},
			// No kwok taint: the registry's own Deployments must land here.
			Status: corev1.NodeStatus{Capacity: res, Allocatable: res},
		}
		_, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			// A reused --dir: kwok's port changed, and kwok only fills in the
			// endpoint on a node that is not Ready yet.
			patch := fmt.Sprintf(`{"status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":%d}}}}`, u.nodePort)
			_, err = client.CoreV1().Nodes().Patch(ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "status")
		}
		if err != nil {
			return fmt.Errorf("register node %s: %w", name, err)
		}
		u.status.Nodes = append(u.status.Nodes, name)
	}
	for _, name := range u.status.Nodes {
		err := waitFor(ctx, "kwok node "+name+" Ready", u.childExit, func(ctx context.Context) (bool, error) {
			n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// bindRegistryAdmins gives the registry-admins group cluster-admin.
func bindRegistryAdmins(ctx context.Context, client kubernetes.Interface) error {
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "registry-admins-cluster-admin"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "registry-admins"}},
	}
	_, err := client.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("bind registry-admins: %w", err)
	}
	return nil
}

// startChild runs this binary's subcommand name with args, logging to
// DIR/logs/<name>.log. An unexpected exit is reported on u.childExit.
func (u *upper) startChild(name string, args ...string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(filepath.Join(u.logDir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(self, append([]string{name}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Die with us even on SIGKILL.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	u.mu.Lock()
	u.children = append(u.children, c)
	u.mu.Unlock()
	go func() {
		err := cmd.Wait()
		close(c.done)
		logFile.Close()
		u.mu.Lock()
		stopping := u.children == nil
		u.mu.Unlock()
		if !stopping {
			u.childExit <- fmt.Errorf("%s exited (%v); see %s", name, err, logFile.Name())
		}
	}()
	return nil
}

// stopChildren sends SIGTERM to all children and waits briefly for them.
func (u *upper) stopChildren() {
	u.mu.Lock()
	children := u.children
	u.children = nil
	u.mu.Unlock()
	for _, c := range children {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, c := range children {
		select {
		case <-c.done:
		case <-time.After(time.Until(deadline)):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	}
}

// child is a component process started by startChild.
type child struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has been reaped
}

// waitFor polls cond every 100ms; a child dying fails the wait at once.
func waitFor(ctx context.Context, what string, childExit <-chan error, cond wait.ConditionWithContextFunc) error {
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		select {
		case e := <-childExit:
			return fmt.Errorf("waiting for %s: %w", what, e)
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return fmt.Errorf("waiting for %s: %w", what, err)
		case <-ticker.C:
		}
	}
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// writeTokenFile writes DIR/tokens.csv for --token-auth-file from
// DIR/users.json, creating random tokens on first use.
func writeTokenFile(dir string) (map[string]user, string, error) {
	usersFile := filepath.Join(dir, "users.json")
	users := map[string]user{}
	if b, err := os.ReadFile(usersFile); err == nil {
		if err := json.Unmarshal(b, &users); err != nil {
			return nil, "", fmt.Errorf("%s: %w", usersFile, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, "", err
	}
	for _, tu := range testUsers {
		if _, ok := users[tu.Name]; !ok {
			groups := tu.Groups
			if groups == nil {
				groups = []string{}
			}
			users[tu.Name] = user{Token: randomToken(), Groups: groups}
		}
	}
	b, _ := json.MarshalIndent(users, "", "  ")
	if err := os.WriteFile(usersFile, b, 0o600); err != nil {
		return nil, "", err
	}

	// token,user,uid[,"group1,group2"]
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	for _, tu := range testUsers {
		usr := users[tu.Name]
		rec := []string{usr.Token, tu.Name, tu.Name}
		if len(usr.Groups) > 0 {
			rec = append(rec, strings.Join(usr.Groups, ","))
		}
		_ = w.Write(rec)
	}
	w.Flush()
	tokenFile := filepath.Join(dir, "tokens.csv")
	return users, tokenFile, os.WriteFile(tokenFile, []byte(sb.String()), 0o600)
}

// watchStdinEOF closes the returned channel when stdin reaches EOF.
func watchStdinEOF() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	return done
}
