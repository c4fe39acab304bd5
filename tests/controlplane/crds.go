package main

// OpenShift CRDs come from the github.com/openshift/api Go module, read at
// run time from the module cache:
//
//	$(go env GOMODCACHE)/github.com/openshift/api@<version>/<group>/<version>/zz_generated.crd-manifests/*.yaml
//
// <version> is the one this binary was built with (from its build info; the
// blank import in main.go makes it a real dependency, so `go build` also
// downloads and unpacks the module). --openshift-api-dir or
// $RC_OPENSHIFT_API_DIR overrides the location.
//
// Feature sets: openshift/api renders some CRDs once per cluster feature set
// (<name>-Default.crd.yaml, -TechPreviewNoUpgrade, -DevPreviewNoUpgrade,
// -CustomNoUpgrade, -OKD). We take the file whose
// release.openshift.io/feature-set annotation lists "Default": the schema a
// normal OpenShift cluster serves. CRDs without variants have one file.

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

const openshiftAPIModule = "github.com/openshift/api"

// wantedCRD names one CRD and the openshift/api package directory whose
// zz_generated.crd-manifests folder holds it.
type wantedCRD struct {
	Name     string // <plural>.<group>
	PkgDir   string
	Optional bool // installed when shipped, skipped with a warning otherwise
}

// wantedCRDs are the OpenShift APIs Registry Console reads or writes
// (REFERENCE.md §0) plus the cluster config it displays.
var wantedCRDs = []wantedCRD{
	{Name: "configs.imageregistry.operator.openshift.io", PkgDir: "imageregistry/v1"},
	{Name: "imagepruners.imageregistry.operator.openshift.io", PkgDir: "imageregistry/v1"},
	{Name: "images.config.openshift.io", PkgDir: "config/v1"},
	{Name: "clusteroperators.config.openshift.io", PkgDir: "config/v1"},
	{Name: "infrastructures.config.openshift.io", PkgDir: "config/v1"},
	{Name: "ingresses.config.openshift.io", PkgDir: "config/v1"},
	{Name: "proxies.config.openshift.io", PkgDir: "config/v1"},
	{Name: "imagedigestmirrorsets.config.openshift.io", PkgDir: "config/v1"},
	{Name: "imagetagmirrorsets.config.openshift.io", PkgDir: "config/v1"},
	// On OpenShift routes are served by openshift-apiserver; MicroShift and
	// openshift/api ship this CRD form with the same schema and validation.
	{Name: "routes.route.openshift.io", PkgDir: "route/v1"},
	{Name: "machineconfigpools.machineconfiguration.openshift.io", PkgDir: "machineconfiguration/v1", Optional: true},
}

// Stand-ins for OpenShift's aggregated APIs. OpenShift serves
// image.openshift.io (ImageStream, Image; imagestreamtags & co. are virtual)
// and oauth.openshift.io (OAuthClient, OAuthAccessToken) from its own API
// servers (openshift-apiserver, oauth-apiserver), not from CRDs, so
// openshift/api ships no CRD for them. These CRDs are generated from the
// openshift/api Go types by generated-crds/generate.sh (controller-gen, the
// openshift/api version in go.mod), committed, and embedded in the binary.
// They give the real schema validation and RBAC but none of those servers'
// behaviour: no virtual kinds, no image import, no tag tracking, no
// server-filled status, no token hashing (see ARCHITECTURE.md, tests/).
//
//go:embed generated-crds/*.yaml
var generatedCRDFS embed.FS

// generatedCRDDir is generatedCRDFS's directory, also its path in the module.
const generatedCRDDir = "generated-crds"

// crdFile is a chosen manifest.
type crdFile struct {
	Name       string `json:"name"`
	Path       string `json:"path"`
	FeatureSet string `json:"featureSet,omitempty"` // annotation value, if any
	// Embedded: Path is tests/controlplane/<Path> in the repository, embedded
	// in the binary (a CRD generated from Go types, standing in for an
	// aggregated API), not a file in the module cache.
	Embedded bool `json:"embedded,omitempty"`
}

// generatedCRDs lists the embedded stand-in CRDs, in name order.
func generatedCRDs() ([]crdFile, error) {
	entries, err := generatedCRDFS.ReadDir(generatedCRDDir)
	if err != nil {
		return nil, err
	}
	var out []crdFile
	for _, e := range entries {
		path := generatedCRDDir + "/" + e.Name()
		b, err := generatedCRDFS.ReadFile(path)
		if err != nil {
			return nil, err
		}
		crd, err := decodeCRD(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, crdFile{Name: crd.Name, Path: path, Embedded: true})
	}
	return out, nil
}

// crdBytes reads a chosen manifest from the module cache or the binary.
func crdBytes(f crdFile) ([]byte, error) {
	if f.Embedded {
		return generatedCRDFS.ReadFile(f.Path)
	}
	return os.ReadFile(f.Path)
}

// depVersion returns the version of a module linked into this binary.
func depVersion(path string) (string, bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version, true
			}
			return d.Version, true
		}
	}
	return "", false
}

// openshiftAPIDir finds the unpacked openshift/api module.
func openshiftAPIDir(override string) (string, error) {
	if override == "" {
		override = os.Getenv("RC_OPENSHIFT_API_DIR")
	}
	if override != "" {
		return override, nil
	}
	version, ok := depVersion(openshiftAPIModule)
	if !ok {
		return "", errors.New("openshift/api is not in this binary's build info; pass --openshift-api-dir")
	}
	cache, err := goModCache()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, escapeModulePath(openshiftAPIModule)+"@"+version)
	if !exists(dir) {
		return "", fmt.Errorf("%s not found: run `go mod download %s@%s` (or build rc-controlplane, which does it) or pass --openshift-api-dir",
			dir, openshiftAPIModule, version)
	}
	return dir, nil
}

// goModCache resolves the Go module cache the way the go command does.
func goModCache() (string, error) {
	if v := os.Getenv("GOMODCACHE"); v != "" {
		return v, nil
	}
	for _, goBin := range []string{"go", "/usr/local/go/bin/go"} {
		if out, err := exec.Command(goBin, "env", "GOMODCACHE").Output(); err == nil {
			if v := strings.TrimSpace(string(out)); v != "" {
				return v, nil
			}
		}
	}
	if v := os.Getenv("GOPATH"); v != "" {
		return filepath.Join(filepath.SplitList(v)[0], "pkg", "mod"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot locate the Go module cache: %w", err)
	}
	return filepath.Join(home, "go", "pkg", "mod"), nil
}

// escapeModulePath applies the module cache's case encoding ("A" -> "!a").
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// selectCRDs picks one manifest per wanted CRD. Only files whose name fits
// the plural are parsed: some manifests are several MB.
func selectCRDs(apiDir string) ([]crdFile, []string, error) {
	var chosen []crdFile
	var warnings []string
	for _, w := range wantedCRDs {
		plural := strings.SplitN(w.Name, ".", 2)[0]
		dir := filepath.Join(apiDir, w.PkgDir, "zz_generated.crd-manifests")
		entries, err := os.ReadDir(dir)
		if err != nil && !w.Optional {
			return nil, nil, fmt.Errorf("%s: %w", w.Name, err)
		}
		fileRE := regexp.MustCompile(`(^|_)` + regexp.QuoteMeta(plural) + `(-[A-Za-z]+)?\.crd\.yaml$`)
		var candidates []crdFile
		for _, e := range entries {
			if e.IsDir() || !fileRE.MatchString(e.Name()) {
				continue
			}
			path := filepath.Join(dir, e.Name())
			name, featureSet, err := crdMeta(path)
			if err != nil {
				return nil, nil, err
			}
			if name == w.Name {
				candidates = append(candidates, crdFile{Name: name, Path: path, FeatureSet: featureSet})
			}
		}
		switch {
		case len(candidates) == 0 && w.Optional:
			warnings = append(warnings, fmt.Sprintf("%s: not shipped in %s, skipped", w.Name, dir))
			continue
		case len(candidates) == 0:
			return nil, nil, fmt.Errorf("%s: no manifest in %s", w.Name, dir)
		case len(candidates) == 1:
			chosen = append(chosen, candidates[0])
			continue
		}
		idx := slices.IndexFunc(candidates, func(c crdFile) bool {
			return slices.Contains(strings.Split(c.FeatureSet, ","), "Default")
		})
		if idx < 0 {
			return nil, nil, fmt.Errorf("%s: %d variants in %s and none for feature set Default", w.Name, len(candidates), dir)
		}
		chosen = append(chosen, candidates[idx])
	}
	// Then the CRDs standing in for OpenShift's aggregated APIs (see
	// generatedCRDFS): image.openshift.io and oauth.openshift.io.
	generated, err := generatedCRDs()
	if err != nil {
		return nil, nil, err
	}
	return append(chosen, generated...), warnings, nil
}

// crdMeta reads a manifest's name and feature-set annotation.
func crdMeta(path string) (name, featureSet string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	var m struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name        string            `json:"name"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	if m.Kind != "CustomResourceDefinition" {
		return "", "", nil
	}
	return m.Metadata.Name, m.Metadata.Annotations["release.openshift.io/feature-set"], nil
}

// runCRDs is the `crds` subcommand: copy the chosen manifests to --out as
// <crd-name>.yaml and print "<crd-name> <source>" per line.
func runCRDs() int {
	fs := flag.NewFlagSet("crds", flag.ExitOnError)
	out := fs.String("out", "", "directory to copy the CRD manifests into (required)")
	apiDirFlag := fs.String("openshift-api-dir", "", "unpacked github.com/openshift/api (default: from the module cache)")
	_ = fs.Parse(os.Args[1:])
	if *out == "" {
		fmt.Fprintln(os.Stderr, "crds: --out is required")
		return 2
	}
	apiDir, err := openshiftAPIDir(*apiDirFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crds:", err)
		return 1
	}
	files, warnings, err := selectCRDs(apiDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crds:", err)
		return 1
	}
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "crds: warning:", w)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "crds:", err)
		return 1
	}
	for _, f := range files {
		b, err := crdBytes(f)
		if err == nil {
			err = os.WriteFile(filepath.Join(*out, f.Name+".yaml"), b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "crds:", err)
			return 1
		}
		fmt.Printf("%s %s\n", f.Name, f.Path)
	}
	return 0
}

// readCRDs decodes manifest files.
func readCRDs(files []crdFile) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, f := range files {
		b, err := crdBytes(f)
		if err != nil {
			return nil, err
		}
		crd, err := decodeCRD(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		out = append(out, crd)
	}
	return out, nil
}

func decodeCRD(b []byte) (*apiextensionsv1.CustomResourceDefinition, error) {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(b, &crd); err != nil {
		return nil, err
	}
	return &crd, nil
}

// installCRDs creates (or updates) the CRDs and waits until all are Established.
func installCRDs(ctx context.Context, cfg *rest.Config, list []*apiextensionsv1.CustomResourceDefinition) error {
	client, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	crds := client.ApiextensionsV1().CustomResourceDefinitions()
	for _, crd := range list {
		_, err = crds.Create(ctx, crd, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			// A reused --dir: bring the stored CRD up to this binary's version.
			cur, getErr := crds.Get(ctx, crd.Name, metav1.GetOptions{})
			if getErr != nil {
				return getErr
			}
			crd.ResourceVersion = cur.ResourceVersion
			_, err = crds.Update(ctx, crd, metav1.UpdateOptions{})
		}
		if err != nil {
			return fmt.Errorf("install CRD %s: %w", crd.Name, err)
		}
	}
	for _, crd := range list {
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			got, err := crds.Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			for _, c := range got.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("CRD %s not Established: %w", crd.Name, err)
		}
	}
	return nil
}
