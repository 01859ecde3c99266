package crdschema

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/endpoints/request"
	sigsyaml "sigs.k8s.io/yaml"
)

// reference is the oracle: k8s.io/apiextensions-apiserver v0.37.2 doing
// what the API server does with the create of a custom resource under
// strict field validation (kubectl apply --validate=strict): decode the
// JSON, read ObjectMeta strictly, prune unknown fields and report them,
// drop non-nullable nulls, default, then the custom resource strategy's
// PrepareForCreate and Validate (schema, ObjectMeta, list types, CEL).
type reference struct {
	kinds map[gvk]refKind
}

type refKind struct {
	structural *structuralschema.Structural
	strategy   interface {
		PrepareForCreate(ctx context.Context, obj runtime.Object)
		Validate(ctx context.Context, obj runtime.Object) field.ErrorList
	}
}

func loadReference(t testing.TB, fsys fs.FS) *reference {
	t.Helper()
	r := &reference{kinds: map[gvk]refKind{}}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range bytes.Split(b, []byte("\n---\n")) {
			if len(bytes.TrimSpace(bytes.TrimPrefix(doc, []byte("---")))) == 0 {
				continue
			}
			r.add(t, e.Name(), doc)
		}
	}
	return r
}

func (r *reference) add(t testing.TB, name string, doc []byte) {
	t.Helper()
	var v1 apiextensionsv1.CustomResourceDefinition
	if err := sigsyaml.UnmarshalStrict(doc, &v1); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var in apiextensions.CustomResourceDefinition
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(&v1, &in, nil); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, v := range in.Spec.Versions {
		val, err := apiextensions.GetSchemaForVersion(&in, v.Name)
		if err != nil || val == nil {
			t.Fatalf("%s %s: no schema: %v", name, v.Name, err)
		}
		ss, err := structuralschema.NewStructural(val.OpenAPIV3Schema)
		if err != nil {
			t.Fatalf("%s %s: structural: %v", name, v.Name, err)
		}
		sv, _, err := apiservervalidation.NewSchemaValidator(val.OpenAPIV3Schema)
		if err != nil {
			t.Fatalf("%s %s: validator: %v", name, v.Name, err)
		}
		var status *apiextensions.CustomResourceSubresourceStatus
		if sub, err := apiextensions.GetSubresourcesForVersion(&in, v.Name); err == nil && sub != nil {
			status = sub.Status
		}
		kind := schema.GroupVersionKind{Group: in.Spec.Group, Version: v.Name, Kind: in.Spec.Names.Kind}
		st := customresource.NewStrategy(nil, in.Spec.Scope == apiextensions.NamespaceScoped, kind, sv, nil, ss, status, nil, nil)
		r.kinds[gvk{kind.Group, kind.Version, kind.Kind}] = refKind{structural: ss, strategy: st}
	}
}

// verdict returns the field paths the API server names when it refuses
// the JSON object, sorted; none when it accepts it. An error is a refusal
// without a path (the body does not decode).
func (r *reference) verdict(t testing.TB, js []byte) (paths []string, refused bool, detail string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		return nil, true, "decode: " + err.Error()
	}
	gv, err := schema.ParseGroupVersion(u.GetAPIVersion())
	if err != nil {
		t.Fatalf("apiVersion %q: %v", u.GetAPIVersion(), err)
	}
	k, ok := r.kinds[gvk{gv.Group, gv.Version, u.GetKind()}]
	if !ok {
		t.Fatalf("no reference schema for %s %s", u.GetAPIVersion(), u.GetKind())
	}
	kind, apiVersion := u.GetKind(), u.GetAPIVersion()
	om, found, unknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return nil, true, "metadata: " + err.Error()
	}
	unknown = append(unknown, structuralpruning.PruneWithOptions(u.Object, k.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, k.structural)
	ferr, more := schemaobjectmeta.CoerceWithOptions(nil, u.Object, k.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if ferr != nil {
		return []string{ferr.Field}, true, ferr.Error()
	}
	unknown = append(unknown, more...)
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return unknown, true, "unknown fields " + strings.Join(unknown, ", ")
	}
	u.SetKind(kind)
	u.SetAPIVersion(apiVersion)
	if found {
		if err := schemaobjectmeta.SetObjectMeta(u.Object, om); err != nil {
			t.Fatal(err)
		}
	}
	structuraldefaulting.Default(u.Object, k.structural)
	ctx := request.WithNamespace(context.Background(), u.GetNamespace())
	u.SetDeletionTimestamp(nil)
	u.SetDeletionGracePeriodSeconds(nil)
	k.strategy.PrepareForCreate(ctx, u)
	errs := k.strategy.Validate(ctx, u)
	if len(errs) == 0 {
		return nil, false, ""
	}
	set := map[string]bool{}
	for _, e := range errs {
		// The schema validator repeats a type error once without a path
		// ("Checked value must be of type integer").
		if e.Field != "" && e.Field != "<nil>" {
			set[e.Field] = true
		}
	}
	for p := range set {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths, true, errs.ToAggregate().Error()
}

// mine returns the field paths of this package's verdict, sorted and
// without duplicates, and its full text.
func mine(t testing.TB, s *Set, js []byte) (paths []string, refused bool, detail string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		return nil, true, "decode: " + err.Error()
	}
	known, _ := s.Check(u.GetAPIVersion(), u.GetKind(), u.Object)
	if !known {
		t.Fatalf("no schema for %s %s", u.GetAPIVersion(), u.GetKind())
	}
	c := s.schemas[gvkOf(u.GetAPIVersion(), u.GetKind())]
	ps := c.check(u.Object)
	set := map[string]bool{}
	var text []string
	for _, p := range ps {
		set[p.Path] = true
		text = append(text, p.String())
	}
	for p := range set {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths, len(ps) > 0, strings.Join(text, "; ")
}

func gvkOf(apiVersion, kind string) gvk {
	g, v, _ := strings.Cut(apiVersion, "/")
	return gvk{g, v, kind}
}

// yamlToJSON is what kubectl sends for a YAML manifest.
func yamlToJSON(t testing.TB, y string) []byte {
	t.Helper()
	js, err := sigsyaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatalf("YAMLToJSON: %v\n%s", err, y)
	}
	return js
}

func builtinReference(t testing.TB) *reference {
	t.Helper()
	sub, err := fs.Sub(builtin, "crds")
	if err != nil {
		t.Fatal(err)
	}
	return loadReference(t, sub)
}

func mustBuiltin(t testing.TB) *Set {
	t.Helper()
	s, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// compare runs both on one object and fails the test when the verdicts or
// the field paths differ.
func compare(t *testing.T, ref *reference, s *Set, js []byte) (refused bool) {
	t.Helper()
	rp, rr, rd := ref.verdict(t, js)
	mp, mr, md := mine(t, s, js)
	if rr != mr {
		t.Errorf("verdicts differ on %s\nreference refused=%v: %s\nmine refused=%v: %s", js, rr, rd, mr, md)
		return rr
	}
	// A body that does not decode has no path in the reference's answer.
	if rr && len(rp) > 0 && !slices.Equal(rp, mp) {
		t.Errorf("field paths differ on %s\nreference %v: %s\nmine %v: %s", js, rp, rd, mp, md)
	}
	return rr
}

var _ = errors.New
var _ = io.EOF
var _ = os.Getenv
var _ = fmt.Sprint
