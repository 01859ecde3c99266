package githubsim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// ImportFiles is SeedFiles for many files at once (tens of thousands, as
// a benchmark seeds): one commit on top of branch, written with the git
// binary's fast-import into one pack instead of one loose object per blob
// and tree, then the repository's pack index is reloaded. It does not count
// as API traffic. A missing git binary is an error, never a silent
// fallback.
func (s *Server) ImportFiles(owner, name, branch string, files map[string][]byte, message string) (string, error) {
	r := s.repo(owner, name)
	if r == nil {
		return "", fmt.Errorf("githubsim: no repository %s/%s", owner, name)
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return "", errors.New("githubsim: ImportFiles needs the git binary (apt-get install git)")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	refName := plumbing.NewBranchReferenceName(branch)
	head, err := r.git.ref(refName)
	if err != nil {
		return "", err
	}
	var in bytes.Buffer
	when := s.opts.Now().Unix()
	fmt.Fprintf(&in, "commit %s\ncommitter Seeder <seeder@example.com> %d +0000\ndata %d\n%s\n", refName, when, len(message), message)
	if !head.IsZero() {
		fmt.Fprintf(&in, "from %s\n", head)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		if strings.ContainsAny(p, "\n\"") || strings.HasPrefix(p, "/") {
			return "", fmt.Errorf("githubsim: import %s/%s: bad path %q", owner, name, p)
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if files[p] == nil {
			fmt.Fprintf(&in, "D %s\n", p)
			continue
		}
		fmt.Fprintf(&in, "M 100644 inline %s\ndata %d\n", p, len(files[p]))
		in.Write(files[p])
		in.WriteByte('\n')
	}
	in.WriteString("done\n")
	cmd := exec.Command(gitBin, "fast-import", "--quiet", "--done", "--force")
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_DIR="+r.dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("githubsim: import %s/%s: git fast-import: %w: %s", owner, name, err, out)
	}
	// go-git indexes the packs once; the new pack must be seen.
	type reindexer interface{ Reindex() }
	if ri, ok := r.git.st.(reindexer); ok {
		ri.Reindex()
	}
	h, err := r.git.ref(refName)
	if err != nil {
		return "", err
	}
	if h == head {
		return "", fmt.Errorf("githubsim: import %s/%s: branch %s did not move", owner, name, branch)
	}
	return h.String(), nil
}
