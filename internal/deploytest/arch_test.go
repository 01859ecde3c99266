package deploytest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/githedgehog/hnp-gitops/"

// The client libraries each adapter wraps, by the adapter that may use it.
var clientLibs = map[string]string{
	"github.com/google/go-github/":          "GitHub (internal/githubapi)",
	"github.com/go-git/":                    "generic git (internal/gitremote)",
	"github.com/hashicorp/go-retryablehttp": "HTTP retries (internal/netbox, internal/githubapi)",
}

// goList runs `go list` with args from the module root.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

// The core (internal/reconcile) reaches NetBox and the repository only
// through the interfaces and types it declares: none of the adapters nor
// their client libraries is among its dependencies (docs/architecture.md).
func TestCoreImportsNoAdapter(t *testing.T) {
	t.Parallel()
	banned := []string{
		module + "internal/netbox", module + "internal/githubapi", module + "internal/gitremote",
		"github.com/google/go-github/", "github.com/go-git/", "github.com/hashicorp/go-retryablehttp",
	}
	for _, dep := range goList(t, "-deps", "./internal/reconcile", "./internal/gitport", "./internal/fabric") {
		for _, b := range banned {
			if dep == b || strings.HasPrefix(dep, b+"/") || (strings.HasSuffix(b, "/") && strings.HasPrefix(dep, b)) {
				t.Errorf("the core or a port depends on %s", dep)
			}
		}
	}
}

// No package that imports one client library imports a package of the
// project that imports another: each adapter keeps its library to itself.
func TestAdaptersKeepTheirLibraries(t *testing.T) {
	t.Parallel()
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.Join(goList(t, "-f", "{{.ImportPath}}|{{join .Imports \",\"}}", "./..."), "\n"), "\n") {
		path, list, _ := strings.Cut(line, "|")
		imports[path] = strings.Split(list, ",")
	}
	libsOf := func(pkg string) map[string]bool {
		out := map[string]bool{}
		for _, imp := range imports[pkg] {
			for lib := range clientLibs {
				if strings.HasPrefix(imp, lib) {
					out[lib] = true
				}
			}
		}
		return out
	}
	for pkg := range imports {
		own := libsOf(pkg)
		if len(own) == 0 {
			continue
		}
		for _, imp := range imports[pkg] {
			for lib := range libsOf(imp) {
				if !own[lib] && strings.HasPrefix(imp, module) {
					t.Errorf("%s (uses %v) imports %s, which uses %s", pkg, keys(own), imp, clientLibs[lib])
				}
			}
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// No package of the service imports the emulators or test support under
// test/.
func TestServiceImportsNoTestCode(t *testing.T) {
	t.Parallel()
	for _, line := range goList(t, "-f", "{{.ImportPath}}|{{join .Imports \",\"}}", "./cmd/...", "./internal/...", "./pkg/...") {
		path, list, _ := strings.Cut(line, "|")
		for _, imp := range strings.Split(list, ",") {
			if strings.HasPrefix(imp, module+"test/") {
				t.Errorf("%s imports %s", path, imp)
			}
		}
	}
}

// No function of the service (outside tests and test/) is longer than 80
// lines: a function does one job and fits on a screen.
func TestProductionFunctionsFitOnAScreen(t *testing.T) {
	t.Parallel()
	const maxLines = 80
	fset := token.NewFileSet()
	n := 0
	for _, dir := range []string{"cmd", "internal", "pkg"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok {
					continue
				}
				n++
				if lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1; lines > maxLines {
					t.Errorf("%s: %s is %d lines long, over %d", p, fn.Name.Name, lines, maxLines)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 100 {
		t.Fatalf("only %d functions found: the walk missed the source", n)
	}
	t.Logf("%d production functions, none over %d lines", n, maxLines)
}
