package edge

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/internal/status"
	"github.com/githedgehog/hnp-gitops/test/harness"
	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

const fgdDir = "gitops/fabric"

// vpcDoc is a valid Hedgehog CR, so that a row's fabric has something to
// ingest besides the hostile input.
const vpcDoc = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: good-vpc\n  namespace: default\nspec:\n  subnets:\n    default:\n      subnet: 10.0.1.0/24\n      vlan: 1001\n"

// nestedAliases is a document whose aliases expand to 10^levels nodes
// ("billion laughs" for levels = 9) while the text stays tiny.
func nestedAliases(levels int) []byte {
	var b bytes.Buffer
	b.WriteString("l0: &l0 lol\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.Bytes()
}

// aliasTokens is a document with n alias tokens in one flow sequence.
func aliasTokens(n int) []byte {
	var b bytes.Buffer
	b.WriteString("a: &a x\nb: [")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("*a")
	}
	b.WriteString("]\n")
	return b.Bytes()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	b[0], b[1] = 0, 0xff // surely not text
	return b
}

// TestBadInputRaw: hostile files dropped into raw/. Each must be handled in
// bounded time, and kept byte for byte in unmanaged/ with a reason in the
// archive log, while the fabric's good document is still ingested.
func TestBadInputRaw(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name    string
		file    string
		content []byte
		reason  string // substring of the archive log's reason
	}{
		{"YAML bomb, 10^9 nodes (billion laughs)", "bomb.yaml", nestedAliases(9), "alias"},
		{"10^6 aliases by nesting", "aliases-nested.yaml", nestedAliases(6), "alias"},
		{"10^6 alias tokens (3 MB)", "aliases-flat.yaml", aliasTokens(1_000_000), "over the limit"},
		{"huge document (1.5 MiB)", "huge.yaml", append([]byte("data: |\n"), bytes.Repeat([]byte("  0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n"), 24<<10)...), "over the limit"},
		{"deeply nested (100,000 levels)", "deep.yaml", []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n"), "depth"},
		{"binary bytes named .yaml", "firmware.yaml", randomBytes(64 << 10), ""},
		{"non-UTF-8 bytes in a ConfigMap", "latin1.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: latin1\ndata:\n  k: caf\xe9\n"), ""},
		{"non-UTF-8 bytes in a Hedgehog CR", "switch-latin1.yaml", []byte("apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata:\n  name: leaf-01\nspec:\n  description: caf\xe9 \xff\xfe\n"), ""},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t)
			repoID, bare := s.repo(t, "hostile", map[string][]byte{
				"README.md":               []byte("# hostile\n"),
				fgdDir + "/raw/good.yaml": []byte(vpcDoc),
				fgdDir + "/raw/" + r.file: r.content,
			})
			t0 := time.Now()
			f := s.fabric(t, "hostile", repoID, "/"+fgdDir+"/")
			s.waitStatus(t, f.ID, status.Initialized, 60*time.Second)
			took := time.Since(t0)
			dir := filepath.Join(clone(t, bare), fgdDir)
			got, err := os.ReadFile(filepath.Join(dir, "unmanaged", r.file))
			if err != nil || !bytes.Equal(got, r.content) {
				t.Errorf("unmanaged/%s: %d bytes (err %v), want the %d bytes of the source, unchanged", r.file, len(got), err, len(r.content))
			}
			if _, err := os.Lstat(filepath.Join(dir, "raw", r.file)); err == nil {
				t.Errorf("raw/%s is still there", r.file)
			}
			if _, err := os.Stat(filepath.Join(dir, "managed", "vpcs", "good-vpc.yaml")); err != nil {
				t.Errorf("the good document was not ingested: %v", err)
			}
			e := archiveLog(t, dir)["raw/"+r.file]
			if e.Action != "unmanaged" || e.Reason == "" || !strings.Contains(e.Reason, r.reason) {
				t.Errorf("archive log for raw/%s: action %q reason %q, want unmanaged with a reason containing %q", r.file, e.Action, e.Reason, r.reason)
			}
			t.Logf("raw/%s (%d bytes): initialized in %s; reason %q", r.file, len(r.content), took.Round(time.Millisecond), e.Reason)
		})
	}
}

// TestBadInputPaths: gitops_directory values and CR names that try to
// escape, symlinks and submodules in the tree, repositories on other hosts.
func TestBadInputPaths(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name string
		run  func(t *testing.T, s *stack)
	}{
		{"gitops_directory with .., .git, // or \\: invalid_structure, nothing written", func(t *testing.T, s *stack) {
			repoID, bare := s.repo(t, "escape", nil)
			for i, dir := range []string{"../x", "/../x", "a/../../b", "/fabrics/../../etc", ".git/hooks", "a//b", `a\b`, "./x", "c:/windows"} {
				f := s.fabric(t, fmt.Sprintf("escape-%d", i), repoID, dir)
				got := s.waitStatus(t, f.ID, status.InvalidStructure, 30*time.Second)
				msg, _ := got.CustomFields[status.FieldError].(string)
				if msg == "" || !oneLine(msg) {
					t.Errorf("%q: directory_init_error %q, want a one-line reason", dir, msg)
				}
			}
			if n := s.env.GitHub.Stats().Writes; n != 0 {
				t.Errorf("%d GitHub writes, want none", n)
			}
			if n := git(t, bare, "rev-list", "--count", "main"); n != "1" {
				t.Errorf("%s commits on main, want only the seed", n)
			}
		}},
		{"gitops_directory /etc is etc/ inside the repository", func(t *testing.T, s *stack) {
			repoID, bare := s.repo(t, "etc", nil)
			f := s.fabric(t, "etc", repoID, "/etc")
			s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
			for _, p := range changedPaths(t, bare) {
				if !strings.HasPrefix(p, "etc/") {
					t.Errorf("the commit changed %s, outside etc/", p)
				}
			}
		}},
		{"CR names ../../x, /etc/passwd and ..: kept in unmanaged/, nothing outside the FGD", func(t *testing.T, s *stack) {
			evil := "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata:\n  name: ../../x\nspec: {}\n" +
				"---\napiVersion: wiring.githedgehog.com/v1beta1\nkind: Server\nmetadata:\n  name: /etc/passwd\nspec: {}\n" +
				"---\napiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: ..\n  namespace: default\nspec: {}\n" +
				"---\n" + vpcDoc
			repoID, bare := s.repo(t, "names", map[string][]byte{"README.md": []byte("# names\n"), fgdDir + "/raw/evil.yaml": []byte(evil)})
			f := s.fabric(t, "names", repoID, "/"+fgdDir+"/")
			s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
			for _, p := range changedPaths(t, bare) {
				if !strings.HasPrefix(p, fgdDir+"/") || strings.Contains(p, "..") || strings.Contains(p, "passwd") {
					t.Errorf("the commit changed %q", p)
				}
			}
			dir := filepath.Join(clone(t, bare), fgdDir)
			un, err := os.ReadFile(filepath.Join(dir, "unmanaged", "evil.yaml"))
			if err != nil || !bytes.Contains(un, []byte("name: ../../x")) || !bytes.Contains(un, []byte("name: /etc/passwd")) || !bytes.Contains(un, []byte("name: ..\n")) {
				t.Errorf("unmanaged/evil.yaml (err %v) does not keep the three bad documents:\n%s", err, un)
			}
			if _, err := os.Stat(filepath.Join(dir, "managed", "vpcs", "good-vpc.yaml")); err != nil {
				t.Errorf("the good VPC was not ingested: %v", err)
			}
		}},
		{"symlinks and a submodule in the tree: never followed, read or changed", func(t *testing.T, s *stack) {
			repoID, bare := s.repo(t, "links", nil)
			before := seedLinks(t, bare)
			f := s.fabric(t, "links", repoID, "/"+fgdDir+"/")
			s.waitStatus(t, f.ID, status.Initialized, 30*time.Second)
			after := git(t, bare, "ls-tree", "-r", "main", "--", fgdDir+"/raw/link.yaml", fgdDir+"/link.yaml", fgdDir+"/raw/up", fgdDir+"/raw/sub", fgdDir+"/managed/vpcs/evil.yaml")
			if after != before {
				t.Errorf("symlinks and submodule at the head:\n%s\nwant unchanged:\n%s", after, before)
			}
			if out := git(t, bare, "log", "--all", "-p", "--format=%H"); strings.Contains(out, "root:x:0:0") {
				t.Errorf("the content of /etc/passwd got into the repository")
			}
			dir := filepath.Join(clone(t, bare), fgdDir)
			if _, err := os.Stat(filepath.Join(dir, "managed", "vpcs", "good-vpc.yaml")); err != nil {
				t.Errorf("the good VPC was not ingested: %v", err)
			}
		}},
		{"repository URL carrying the GitHub token as credentials: never shown", func(t *testing.T, s *stack) {
			s.repo(t, "creds", nil)
			for i, url := range []string{
				"https://x-access-token:" + harness.GitHubToken + "@github.com/" + harness.Owner + "/creds.git",
				"https://" + harness.GitHubToken + "@github.com/" + harness.Owner + "/missing.git",
				"https://" + harness.GitHubToken + "@github.com/" + harness.Owner + "/bad/name/here.git",
			} {
				r, err := s.env.NetBox.CreateRepository(netboxsim.Repository{
					Name: fmt.Sprintf("creds-%d", i), URL: url, Provider: "github",
					AuthenticationType: "token", DefaultBranch: "main", ValidateSSL: true, HasCredentials: true,
				})
				if err != nil {
					t.Fatal(err)
				}
				f := s.fabric(t, fmt.Sprintf("creds-%d", i), r.ID, "/"+fgdDir+"/")
				got := s.waitSettled(t, f.ID, 30*time.Second)
				msg, _ := got.CustomFields[status.FieldError].(string)
				t.Logf("repository %d: status %q, error %q", i, harness.FabricStatus(got), msg)
				if ok := harness.FabricStatus(got) == status.Initialized; ok != (i == 0) || !oneLine(msg) {
					t.Errorf("repository %d: status %q error %q; want the first initialized (the credentials dropped), the others failing with a one-line reason", i, harness.FabricStatus(got), msg)
				}
			}
			// The stack's cleanup scans logs, fields and commits.
		}},
		{"repository on another host: fails clearly, the GitHub token never sent there", func(t *testing.T, s *stack) {
			var mu sync.Mutex
			var seen []string
			other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.Method+" "+r.URL.Path+" authorization="+r.Header.Get("Authorization"))
				mu.Unlock()
				http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			}))
			defer other.Close()
			host := strings.TrimPrefix(other.URL, "https://")
			for i, url := range []string{
				"https://gitlab.example.com/hedgehog/fabric.git",
				"https://" + host + "/hedgehog/fabric.git",
				"git@" + strings.Split(host, ":")[0] + ":hedgehog/fabric.git",
			} {
				r, err := s.env.NetBox.CreateRepository(netboxsim.Repository{
					Name: fmt.Sprintf("elsewhere-%d", i), URL: url, Provider: "github",
					AuthenticationType: "token", DefaultBranch: "main", ValidateSSL: true, HasCredentials: true,
				})
				if err != nil {
					t.Fatal(err)
				}
				f := s.fabric(t, fmt.Sprintf("elsewhere-%d", i), r.ID, "/"+fgdDir+"/")
				got := s.waitSettled(t, f.ID, 60*time.Second)
				msg, _ := got.CustomFields[status.FieldError].(string)
				if harness.FabricStatus(got) == status.Initialized || msg == "" || !oneLine(msg) {
					t.Errorf("%s: status %q error %q, want a failure with a one-line reason", url, harness.FabricStatus(got), msg)
				}
				t.Logf("%s: status %q, error %q", url, harness.FabricStatus(got), msg)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range seen {
				if strings.Contains(r, harness.GitHubToken) {
					t.Errorf("the other host received the GitHub token: %s", strings.ReplaceAll(r, harness.GitHubToken, "<github token>"))
					break
				}
			}
			t.Logf("requests the other host received: %d %q", len(seen), seen)
			if n := s.env.GitHub.Stats().Total(); n != 0 {
				t.Errorf("%d requests went to the GitHub API for repositories on other hosts", n)
			}
		}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			r.run(t, newStack(t))
		})
	}
}

// seedLinks commits, with the git binary, into the bare repository: a
// symlink to /etc/passwd under raw/ and in the FGD root (both named .yaml),
// a symlink out of the repository, a submodule entry, a symlink where a
// managed file would go, and a good document. It returns the ls-tree lines
// of the links.
func seedLinks(t *testing.T, bare string) string {
	t.Helper()
	dir := clone(t, bare)
	fgd := filepath.Join(dir, filepath.FromSlash(fgdDir))
	for _, d := range []string{"raw", "managed/vpcs"} {
		if err := os.MkdirAll(filepath.Join(fgd, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must(0, os.WriteFile(filepath.Join(fgd, "raw", "good.yaml"), []byte(vpcDoc), 0o644))
	must(0, os.Symlink("/etc/passwd", filepath.Join(fgd, "raw", "link.yaml")))
	must(0, os.Symlink("/etc/passwd", filepath.Join(fgd, "link.yaml")))
	must(0, os.Symlink("../../..", filepath.Join(fgd, "raw", "up")))
	must(0, os.Symlink("/etc/passwd", filepath.Join(fgd, "managed", "vpcs", "evil.yaml")))
	git(t, dir, "add", "-A")
	head := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "update-index", "--add", "--cacheinfo", "160000,"+head+","+fgdDir+"/raw/sub")
	git(t, dir, "-c", "user.name=Seeder", "-c", "user.email=seed@example.com", "commit", "-q", "-m", "links")
	git(t, dir, "push", "-q", "origin", "HEAD:main")
	return git(t, bare, "ls-tree", "-r", "main", "--", fgdDir+"/raw/link.yaml", fgdDir+"/link.yaml", fgdDir+"/raw/up", fgdDir+"/raw/sub", fgdDir+"/managed/vpcs/evil.yaml")
}
