package main

// Seeding: `rc-controlplane seed --kubeconfig K --dir DIR` (and `up --seed
// DIR`) puts every object of the YAML files in DIR into the cluster. Files are
// read in name order (*.yaml, *.yml, *.json; several documents per file are
// fine) and each object is server-side applied with field manager
// "rc-seed". Namespaces and CRDs go first (CRDs are waited for until
// Established). An object that carries a `status` whose resource serves a
// /status subresource gets that status applied through /status afterwards
// (the main endpoint ignores it).
//
// --replace restores the seed instead of merging into it: an existing object
// is replaced (PUT, keeping its finalizers) and its status too, so fields a
// test added are gone afterwards. Objects the seed does not name are left
// alone. The tests' fixture uses this between tests.
//
// A RoleBinding or ClusterRoleBinding that refers to an aggregated
// ClusterRole (admin, edit, view) waits until the controller manager has
// filled that role's rules, so the rights exist when seeding returns.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

const seedFieldManager = "rc-seed"

// runSeed is the `seed` subcommand.
func runSeed() int {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig with rights to create everything in DIR (e.g. D/admin.kubeconfig; required)")
	dir := fs.String("dir", "", "directory of YAML manifests (required)")
	replace := fs.Bool("replace", false, "replace existing objects (spec and status) instead of merging into them")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this long")
	_ = fs.Parse(os.Args[1:])
	if *kubeconfig == "" || *dir == "" {
		fmt.Fprintln(os.Stderr, "seed: --kubeconfig and --dir are required")
		return 2
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		return 1
	}
	cfg.QPS, cfg.Burst = 100, 200
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	start := time.Now()
	n, err := seedCluster(ctx, cfg, *dir, *replace)
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		return 1
	}
	fmt.Printf("seed: %d objects from %s in %.2fs\n", n, *dir, time.Since(start).Seconds())
	return 0
}

// seedObject is one document of a seed file.
type seedObject struct {
	Source string // file:index, for messages
	Obj    *unstructured.Unstructured
}

func (s seedObject) String() string {
	o := s.Obj
	name := o.GetName()
	if ns := o.GetNamespace(); ns != "" {
		name = ns + "/" + name
	}
	return fmt.Sprintf("%s %s (%s)", o.GetKind(), name, s.Source)
}

// readSeed decodes every document of every manifest in dir.
func readSeed(dir string) ([]seedObject, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml" || ext == ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []seedObject
	for _, name := range names {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
		for i := 1; ; i++ {
			var m map[string]interface{}
			err := dec.Decode(&m)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: document %d: %w", name, i, err)
			}
			if len(m) == 0 {
				continue
			}
			obj := &unstructured.Unstructured{Object: m}
			if obj.GetAPIVersion() == "" || obj.GetKind() == "" || obj.GetName() == "" {
				f.Close()
				return nil, fmt.Errorf("%s: document %d: apiVersion, kind and metadata.name are required", name, i)
			}
			out = append(out, seedObject{Source: fmt.Sprintf("%s#%d", name, i), Obj: obj})
		}
		f.Close()
	}
	return out, nil
}

// seeder applies seed objects.
type seeder struct {
	dyn     dynamic.Interface
	disc    discovery.CachedDiscoveryInterface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
	replace bool
}

// seedCluster applies the manifests of dir; it returns how many objects.
func seedCluster(ctx context.Context, cfg *rest.Config, dir string, replace bool) (int, error) {
	objs, err := readSeed(dir)
	if err != nil {
		return 0, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return 0, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return 0, err
	}
	cached := memory.NewMemCacheClient(dc)
	s := &seeder{dyn: dyn, disc: cached, mapper: restmapper.NewDeferredDiscoveryRESTMapper(cached), replace: replace}

	rank := func(o seedObject) int {
		switch o.Obj.GroupVersionKind().GroupKind() {
		case schema.GroupKind{Kind: "Namespace"}:
			return 0
		case schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:
			return 1
		}
		return 2
	}
	sort.SliceStable(objs, func(i, j int) bool { return rank(objs[i]) < rank(objs[j]) })

	for _, o := range objs {
		if err := s.applyWithRetry(ctx, o); err != nil {
			return 0, fmt.Errorf("%s: %w", o, err)
		}
		if err := s.waitAfter(ctx, o); err != nil {
			return 0, fmt.Errorf("%s: %w", o, err)
		}
	}
	return len(objs), nil
}

// retriable errors are those a short wait can cure: the apiserver catching
// up with a new CRD or namespace, conflicts with a concurrent writer.
func retriable(err error) bool {
	if meta.IsNoMatchError(err) || apierrors.IsConflict(err) || apierrors.IsServerTimeout(err) ||
		apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) || apierrors.IsServiceUnavailable(err) ||
		apierrors.IsInternalError(err) {
		return true
	}
	// A namespace that a test deleted may still be terminating, or just created.
	if apierrors.IsNotFound(err) || (apierrors.IsForbidden(err) && strings.Contains(err.Error(), "being terminated")) {
		return true
	}
	return false
}

func (s *seeder) applyWithRetry(ctx context.Context, o seedObject) error {
	for {
		err := s.apply(ctx, o)
		if err == nil || !retriable(err) {
			return err
		}
		if meta.IsNoMatchError(err) || apierrors.IsNotFound(err) {
			s.mapper.Reset()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// resource finds the REST endpoint of an object and whether its resource
// serves a /status subresource.
func (s *seeder) resource(obj *unstructured.Unstructured) (dynamic.ResourceInterface, bool, error) {
	gvk := obj.GroupVersionKind()
	mapping, err := s.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, false, err
	}
	var ri dynamic.ResourceInterface = s.dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			return nil, false, errors.New("namespaced object without metadata.namespace")
		}
		ri = s.dyn.Resource(mapping.Resource).Namespace(obj.GetNamespace())
	}
	list, err := s.disc.ServerResourcesForGroupVersion(gvk.GroupVersion().String())
	if err != nil {
		return nil, false, err
	}
	hasStatus := slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool {
		return r.Name == mapping.Resource.Resource+"/status"
	})
	return ri, hasStatus, nil
}

func (s *seeder) apply(ctx context.Context, o seedObject) error {
	ri, statusSub, err := s.resource(o.Obj)
	if err != nil {
		return err
	}
	body := o.Obj.DeepCopy()
	status, withStatus := body.Object["status"]
	withStatus = withStatus && statusSub
	if withStatus {
		delete(body.Object, "status")
	}
	name := body.GetName()

	if s.replace {
		cur, err := ri.Get(ctx, name, metav1.GetOptions{})
		switch {
		case err == nil:
			body.SetResourceVersion(cur.GetResourceVersion())
			// Finalizers belong to controllers (the operator adds its own).
			body.SetFinalizers(cur.GetFinalizers())
			updated, err := ri.Update(ctx, body, metav1.UpdateOptions{FieldManager: seedFieldManager})
			if err != nil {
				return err
			}
			if withStatus {
				updated.Object["status"] = status
				if _, err := ri.UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: seedFieldManager}); err != nil {
					return fmt.Errorf("status: %w", err)
				}
			}
			return nil
		case !apierrors.IsNotFound(err):
			return err
		}
		// Not there: create it by applying, below.
	}

	opts := metav1.ApplyOptions{FieldManager: seedFieldManager, Force: true}
	if _, err := ri.Apply(ctx, name, body, opts); err != nil {
		return err
	}
	if withStatus {
		st := &unstructured.Unstructured{Object: map[string]interface{}{
			"apiVersion": body.GetAPIVersion(),
			"kind":       body.GetKind(),
			"metadata":   map[string]interface{}{"name": name},
			"status":     status,
		}}
		if ns := body.GetNamespace(); ns != "" {
			st.SetNamespace(ns)
		}
		if _, err := ri.ApplyStatus(ctx, name, st, opts); err != nil {
			return fmt.Errorf("status: %w", err)
		}
	}
	return nil
}

// waitAfter waits until what an object provides is usable.
func (s *seeder) waitAfter(ctx context.Context, o seedObject) error {
	gk := o.Obj.GroupVersionKind().GroupKind()
	switch {
	case gk == schema.GroupKind{Kind: "Namespace"}:
		// A namespace a test deleted may still be terminating: wait until it
		// is gone, then create it again.
		return s.poll(ctx, "namespace Active", func(ctx context.Context) (bool, error) {
			ri, _, err := s.resource(o.Obj)
			if err != nil {
				return false, err
			}
			cur, err := ri.Get(ctx, o.Obj.GetName(), metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, s.apply(ctx, o)
			}
			if err != nil {
				return false, err
			}
			phase, _, _ := unstructured.NestedString(cur.Object, "status", "phase")
			return phase == "Active", nil
		})
	case gk == schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:
		err := s.poll(ctx, "CRD Established", func(ctx context.Context) (bool, error) {
			ri, _, err := s.resource(o.Obj)
			if err != nil {
				return false, err
			}
			cur, err := ri.Get(ctx, o.Obj.GetName(), metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			conds, _, _ := unstructured.NestedSlice(cur.Object, "status", "conditions")
			for _, c := range conds {
				if m, ok := c.(map[string]interface{}); ok && m["type"] == "Established" && m["status"] == "True" {
					return true, nil
				}
			}
			return false, nil
		})
		s.mapper.Reset()
		return err
	case gk.Group == "rbac.authorization.k8s.io" && (gk.Kind == "RoleBinding" || gk.Kind == "ClusterRoleBinding"):
		kind, _, _ := unstructured.NestedString(o.Obj.Object, "roleRef", "kind")
		role, _, _ := unstructured.NestedString(o.Obj.Object, "roleRef", "name")
		if kind != "ClusterRole" {
			return nil
		}
		gvr := schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}
		return s.poll(ctx, "ClusterRole "+role+" aggregated", func(ctx context.Context) (bool, error) {
			cr, err := s.dyn.Resource(gvr).Get(ctx, role, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if _, aggregated := cr.Object["aggregationRule"]; !aggregated {
				return true, nil
			}
			rules, _, _ := unstructured.NestedSlice(cr.Object, "rules")
			return len(rules) > 0, nil
		})
	}
	return nil
}

// poll calls cond every 100ms until it is true, it fails with a
// non-retriable error, or ctx ends.
func (s *seeder) poll(ctx context.Context, what string, cond func(context.Context) (bool, error)) error {
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		if err != nil && !retriable(err) {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return fmt.Errorf("waiting for %s: %w", what, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
