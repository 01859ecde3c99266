package githubsim

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /repos/{owner}/{repo}", s.getRepo)
	m.HandleFunc("GET /repos/{owner}/{repo}/git/ref/{ref...}", s.getRef)
	m.HandleFunc("POST /repos/{owner}/{repo}/git/refs", s.createRef)
	m.HandleFunc("PATCH /repos/{owner}/{repo}/git/refs/{ref...}", s.updateRef)
	m.HandleFunc("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", s.getCommit)
	m.HandleFunc("POST /repos/{owner}/{repo}/git/commits", s.createCommit)
	m.HandleFunc("GET /repos/{owner}/{repo}/git/trees/{tree_sha...}", s.getTree)
	m.HandleFunc("POST /repos/{owner}/{repo}/git/trees", s.createTree)
	m.HandleFunc("GET /repos/{owner}/{repo}/git/blobs/{file_sha}", s.getBlob)
	m.HandleFunc("POST /repos/{owner}/{repo}/git/blobs", s.createBlob)
	m.HandleFunc("GET /repos/{owner}/{repo}/contents/{path...}", s.getContents)
	m.HandleFunc("PUT /repos/{owner}/{repo}/contents/{path...}", s.putContents)
	m.HandleFunc("DELETE /repos/{owner}/{repo}/contents/{path...}", s.deleteContents)
	m.HandleFunc("GET /repos/{owner}/{repo}/compare/{basehead...}", s.compare)
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls", s.listPulls)
	m.HandleFunc("POST /repos/{owner}/{repo}/pulls", s.createPull)
	s.appRoutes(m)
	s.hookRoutes(m)
	s.mux = m
}

// routeKey turns a mux pattern into the route names of githubapi.Route.
func routeKey(method, pattern string) string {
	if pattern == "" {
		return method + " other"
	}
	_, p, _ := strings.Cut(pattern, " ")
	return method + " " + strings.ReplaceAll(p, "...}", "}")
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.admin(w, r)
		return
	}
	if p, ok := strings.CutPrefix(r.URL.Path, "/api/v3"); ok {
		r = r.Clone(r.Context())
		r.URL.Path = p
		r.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, "/api/v3")
	}
	_, pattern := s.mux.Handler(r)
	route := routeKey(r.Method, pattern)
	s.count(func(st *Stats) {
		st.Requests[route]++
		if isWrite(r.Method) {
			st.Writes++
		}
	})
	if spent := s.rateHeaders(w); spent {
		w.Header().Set("X-Ratelimit-Remaining", "0")
		writeError(w, http.StatusForbidden, "API rate limit exceeded for user ID 1.")
		return
	}
	if s.inject(w, r, route) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// access authenticates the request and finds the repository; on failure it
// has answered.
// lockRepo is access, then the repository's lock; withCommits also
// answers GitHub's 409 for a repository without commits. unlock is set
// when ok.
func (s *Server) lockRepo(w http.ResponseWriter, r *http.Request, withCommits bool) (rp *repo, unlock func(), ok bool) {
	if rp, ok = s.access(w, r); !ok {
		return nil, nil, false
	}
	rp.mu.Lock()
	if withCommits && s.emptyRepo(w, rp) {
		rp.mu.Unlock()
		return nil, nil, false
	}
	return rp, rp.mu.Unlock, true
}

// tokenPermissions is the permissions object GitHub returns with a
// repository for the request's personal access token, nil for others.
func (s *Server) tokenPermissions(r *http.Request) map[string]bool {
	tok := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), "token "))
	switch {
	case s.opts.Token != "" && tok == s.opts.Token:
		return map[string]bool{"admin": false, "maintain": false, "push": true, "triage": true, "pull": true}
	case tok != "" && slices.Contains(s.opts.ReadOnlyTokens, tok):
		return map[string]bool{"admin": false, "maintain": false, "push": false, "triage": false, "pull": true}
	}
	return nil
}

func (s *Server) access(w http.ResponseWriter, r *http.Request) (*repo, bool) {
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	if s.opts.Token != "" || s.opts.App != nil {
		tok := r.Header.Get("Authorization")
		tok = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(tok, "Bearer "), "token "))
		write := isWrite(r.Method)
		isInstall, installErr := s.installTokenFor(tok)
		switch {
		case s.opts.Token != "" && tok == s.opts.Token:
		case isInstall && installErr != nil:
			writeError(w, http.StatusUnauthorized, "Bad credentials")
			return nil, false
		case isInstall:
			// An installation sees only the repositories it is installed on.
			if rp == nil || !s.appInstalled(rp.owner, rp.name) {
				writeError(w, http.StatusNotFound, "Not Found")
				return nil, false
			}
		case tok != "" && slices.Contains(s.opts.ReadOnlyTokens, tok):
			if write && rp != nil {
				writeError(w, http.StatusForbidden, "Resource not accessible by personal access token")
				return nil, false
			}
		case tok != "":
			writeError(w, http.StatusUnauthorized, "Bad credentials")
			return nil, false
		default:
			if rp == nil || rp.private {
				writeError(w, http.StatusNotFound, "Not Found")
				return nil, false
			}
			if write {
				writeError(w, http.StatusUnauthorized, "Requires authentication")
				return nil, false
			}
		}
	}
	if rp == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return nil, false
	}
	return rp, true
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 100<<20))
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

func (s *Server) apiURL(r *http.Request, rp *repo, rest string) string {
	return "http://" + r.Host + "/repos/" + rp.owner + "/" + rp.name + rest
}

func (s *Server) htmlURL(rp *repo, rest string) string {
	return s.opts.WebURL + "/" + rp.owner + "/" + rp.name + rest
}

func hashOf(s string) (plumbing.Hash, bool) {
	if len(s) != 40 {
		return plumbing.ZeroHash, false
	}
	if _, err := hex.DecodeString(s); err != nil {
		return plumbing.ZeroHash, false
	}
	return plumbing.NewHash(strings.ToLower(s)), true
}

// defaultBranch is the branch HEAD names. The caller holds rp.mu.
func (rp *repo) defaultBranch() string {
	h, err := rp.git.st.Reference(plumbing.HEAD)
	if err != nil {
		return "main"
	}
	return h.Target().Short()
}

// commitish resolves a commit SHA or a branch name. The caller holds rp.mu.
func (rp *repo) commitish(s string) (*object.Commit, bool) {
	if h, ok := hashOf(s); ok {
		if c, err := rp.git.commit(h); err == nil {
			return c, true
		}
	}
	h, err := rp.git.ref(plumbing.NewBranchReferenceName(strings.TrimPrefix(s, "heads/")))
	if err != nil || h.IsZero() {
		return nil, false
	}
	c, err := rp.git.commit(h)
	return c, err == nil
}

func (s *Server) emptyRepo(w http.ResponseWriter, rp *repo) bool {
	empty, err := rp.git.isEmpty()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return true
	}
	if empty {
		writeError(w, http.StatusConflict, "Git Repository is empty.")
	}
	return empty
}

func (s *Server) getRepo(w http.ResponseWriter, r *http.Request) {
	rp, ok := s.access(w, r)
	if !ok {
		return
	}
	rp.mu.Lock()
	def := rp.defaultBranch()
	rp.mu.Unlock()
	out := s.repositoryJSON(r, rp, def)
	// GitHub names a user token's permissions on the repository; an App's
	// installation token and an anonymous request get none.
	if perms := s.tokenPermissions(r); perms != nil {
		out["permissions"] = perms
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) refJSON(r *http.Request, rp *repo, name plumbing.ReferenceName, h plumbing.Hash) map[string]any {
	return map[string]any{
		"ref": name.String(), "node_id": refNodeID(rp, name), "url": s.apiURL(r, rp, "/git/"+name.String()),
		"object": map[string]any{"type": "commit", "sha": h.String(), "url": s.apiURL(r, rp, "/git/commits/"+h.String())},
	}
}

func (s *Server) getRef(w http.ResponseWriter, r *http.Request) {
	rp, unlock, ok := s.lockRepo(w, r, true)
	if !ok {
		return
	}
	defer unlock()
	name := plumbing.ReferenceName("refs/" + r.PathValue("ref"))
	h, err := rp.git.ref(name)
	if err != nil || h.IsZero() {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, s.refJSON(r, rp, name, h))
}

func (s *Server) createRef(w http.ResponseWriter, r *http.Request) {
	rp, ok := s.access(w, r)
	if !ok {
		return
	}
	var body struct{ Ref, SHA string }
	if !decode(w, r, &body) {
		return
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	defer s.closeWrite(rp, body.SHA)
	if s.emptyRepo(w, rp) {
		return
	}
	if !strings.HasPrefix(body.Ref, "refs/") || strings.Count(body.Ref, "/") < 2 {
		writeError(w, http.StatusUnprocessableEntity, "Reference name must start with 'refs/' and have at least two slashes.")
		return
	}
	name := plumbing.ReferenceName(body.Ref)
	if cur, err := rp.git.ref(name); err == nil && !cur.IsZero() {
		writeError(w, http.StatusUnprocessableEntity, "Reference already exists")
		return
	}
	h, ok := hashOf(body.SHA)
	if _, err := rp.git.commit(h); !ok || err != nil {
		writeError(w, http.StatusUnprocessableEntity, "Object does not exist")
		return
	}
	if name.IsBranch() && rp.protected[name.Short()] {
		writeError(w, http.StatusUnprocessableEntity, "Protected branch update failed for "+name.String()+".")
		return
	}
	if err := rp.git.setRef(name, h); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.count(func(st *Stats) { st.RefUpdates++ })
	writeJSON(w, http.StatusCreated, s.refJSON(r, rp, name, h))
}

func (s *Server) updateRef(w http.ResponseWriter, r *http.Request) {
	rp, ok := s.access(w, r)
	if !ok {
		return
	}
	var body struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if !decode(w, r, &body) {
		return
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	defer s.closeWrite(rp, body.SHA)
	name := plumbing.ReferenceName("refs/" + r.PathValue("ref"))
	cur, err := rp.git.ref(name)
	if err != nil || cur.IsZero() {
		writeError(w, http.StatusUnprocessableEntity, "Reference does not exist")
		return
	}
	if name.IsBranch() && rp.protected[name.Short()] {
		writeError(w, http.StatusUnprocessableEntity, "Protected branch update failed for "+name.String()+".")
		return
	}
	if name.IsBranch() && s.takeConcurrentWriter(routeKey(r.Method, r.Pattern)) {
		n := s.Stats().OtherCommits + 1
		h, err := rp.commitFiles(name.Short(), map[string][]byte{
			fmt.Sprintf("concurrent-writer/change-%d.txt", n): fmt.Appendf(nil, "concurrent change %d\n", n),
		}, fmt.Sprintf("Concurrent change %d", n), signature("Concurrent Writer", "other@example.com", s.opts.Now()))
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		cur = h
		s.count(func(st *Stats) { st.OtherCommits++ })
	}
	h, ok := hashOf(body.SHA)
	next, err := rp.git.commit(h)
	if !ok || err != nil {
		writeError(w, http.StatusUnprocessableEntity, "Object does not exist")
		return
	}
	if cur != h {
		prev, err := rp.git.commit(cur)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		ff, err := prev.IsAncestor(next)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		if !ff && !body.Force {
			writeError(w, http.StatusUnprocessableEntity, "Update is not a fast forward")
			return
		}
		if err := rp.git.setRef(name, h); err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		s.count(func(st *Stats) {
			st.RefUpdates++
			if !ff {
				st.ForceUpdates++
			}
		})
	}
	writeJSON(w, http.StatusOK, s.refJSON(r, rp, name, h))
}

// closeWrite ends the write sequence of the tree of commit sha. The caller
// holds rp.mu.
func (s *Server) closeWrite(rp *repo, sha string) {
	if h, ok := hashOf(sha); ok {
		if c, err := rp.git.commit(h); err == nil {
			s.writeDone(key(rp.owner, rp.name), c.TreeHash.String())
		}
	}
}

type personJSON struct {
	Name  string    `json:"name"`
	Email string    `json:"email"`
	Date  time.Time `json:"date"`
}

func (s *Server) commitJSON(r *http.Request, rp *repo, h plumbing.Hash, c *object.Commit) map[string]any {
	parents := []map[string]any{}
	for _, p := range c.ParentHashes {
		parents = append(parents, map[string]any{
			"sha": p.String(), "url": s.apiURL(r, rp, "/git/commits/"+p.String()), "html_url": s.htmlURL(rp, "/commit/"+p.String()),
		})
	}
	return map[string]any{
		"sha": h.String(), "node_id": nodeID("Commit", h.String()),
		"url": s.apiURL(r, rp, "/git/commits/"+h.String()), "html_url": s.htmlURL(rp, "/commit/"+h.String()),
		"author":       personJSON{c.Author.Name, c.Author.Email, c.Author.When.UTC()},
		"committer":    personJSON{c.Committer.Name, c.Committer.Email, c.Committer.When.UTC()},
		"message":      c.Message,
		"tree":         map[string]any{"sha": c.TreeHash.String(), "url": s.apiURL(r, rp, "/git/trees/"+c.TreeHash.String())},
		"parents":      parents,
		"verification": s.verification(h),
	}
}

func (s *Server) getCommit(w http.ResponseWriter, r *http.Request) {
	rp, unlock, ok := s.lockRepo(w, r, true)
	if !ok {
		return
	}
	defer unlock()
	h, ok := hashOf(r.PathValue("commit_sha"))
	c, err := rp.git.commit(h)
	if !ok || err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, s.commitJSON(r, rp, h, c))
}

type personIn struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Date  string `json:"date"`
}

func (s *Server) sig(p *personIn, fallback object.Signature) object.Signature {
	if p == nil || (p.Name == "" && p.Email == "") {
		return fallback
	}
	when := s.opts.Now()
	if t, err := time.Parse(time.RFC3339, p.Date); err == nil {
		when = t
	}
	return signature(p.Name, p.Email, when)
}

// tokenUser is the identity of the request's token: the App's bot for an
// installation token, else a user.
func (s *Server) tokenUser(r *http.Request) object.Signature {
	if s.isInstallRequest(r) {
		slug := s.appSlug()
		return signature(slug+"[bot]", "41898282+"+slug+"[bot]@users.noreply.github.com", s.opts.Now())
	}
	return signature("sim-user", "sim-user@users.noreply.github.com", s.opts.Now())
}

func (s *Server) createCommit(w http.ResponseWriter, r *http.Request) {
	rp, ok := s.access(w, r)
	if !ok {
		return
	}
	var body struct {
		Message   string    `json:"message"`
		Tree      string    `json:"tree"`
		Parents   []string  `json:"parents"`
		Author    *personIn `json:"author"`
		Committer *personIn `json:"committer"`
	}
	if !decode(w, r, &body) {
		return
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if s.emptyRepo(w, rp) {
		return
	}
	tree, ok := hashOf(body.Tree)
	if _, err := rp.git.tree(tree); !ok || err != nil {
		writeError(w, http.StatusUnprocessableEntity, "Tree SHA does not exist")
		return
	}
	var parents []plumbing.Hash
	empty := false
	for i, p := range body.Parents {
		h, ok := hashOf(p)
		c, err := rp.git.commit(h)
		if !ok || err != nil {
			writeError(w, http.StatusUnprocessableEntity, "Parent SHA does not exist or is not a commit object")
			return
		}
		if i == 0 && c.TreeHash == tree {
			empty = true
		}
		parents = append(parents, h)
	}
	author := s.sig(body.Author, s.tokenUser(r))
	committer := s.sig(body.Committer, author)
	h, err := rp.git.writeCommit(tree, parents, body.Message, author, committer)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.markVerified(r, h, body.Author, body.Committer)
	s.count(func(st *Stats) {
		st.Commits++
		if empty {
			st.EmptyCommits++
		}
	})
	c, _ := rp.git.commit(h)
	writeJSON(w, http.StatusCreated, s.commitJSON(r, rp, h, c))
}

func (s *Server) treeJSON(r *http.Request, rp *repo, h plumbing.Hash, entries []flatEntry, truncated bool) map[string]any {
	out := make([]map[string]any, 0, len(entries))
	for _, e := range entries {
		m := map[string]any{"path": e.path, "mode": modeString(e.mode), "type": typeOf(e.mode), "sha": e.hash.String()}
		if e.mode.IsFile() {
			m["size"] = e.size
			m["url"] = s.apiURL(r, rp, "/git/blobs/"+e.hash.String())
		} else if e.mode == filemode.Dir {
			m["url"] = s.apiURL(r, rp, "/git/trees/"+e.hash.String())
		}
		out = append(out, m)
	}
	return map[string]any{"sha": h.String(), "url": s.apiURL(r, rp, "/git/trees/"+h.String()), "tree": out, "truncated": truncated}
}

func (s *Server) getTree(w http.ResponseWriter, r *http.Request) {
	rp, unlock, ok := s.lockRepo(w, r, true)
	if !ok {
		return
	}
	defer unlock()
	ref := r.PathValue("tree_sha")
	h, isHash := hashOf(ref)
	if _, err := rp.git.tree(h); !isHash || err != nil {
		c, ok := rp.commitish(ref)
		if !ok {
			writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		h = c.TreeHash
	}
	recursive := r.URL.Query().Has("recursive")
	var entries []flatEntry
	if err := rp.git.walk(h, "", recursive, &entries); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	truncated := recursive && len(entries) > s.opts.TruncateAbove
	if truncated {
		entries = entries[:s.opts.TruncateAbove]
	}
	writeJSON(w, http.StatusOK, s.treeJSON(r, rp, h, entries, truncated))
}

func (s *Server) createTree(w http.ResponseWriter, r *http.Request) {
	rp, ok := s.access(w, r)
	if !ok {
		return
	}
	var body struct {
		BaseTree string `json:"base_tree"`
		Tree     []struct {
			Path    string          `json:"path"`
			Mode    string          `json:"mode"`
			Type    string          `json:"type"`
			SHA     json.RawMessage `json:"sha"`
			Content *string         `json:"content"`
		} `json:"tree"`
	}
	if !decode(w, r, &body) {
		return
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if s.emptyRepo(w, rp) {
		return
	}
	base := plumbing.ZeroHash
	if body.BaseTree != "" {
		h, ok := hashOf(body.BaseTree)
		if _, err := rp.git.tree(h); !ok || err != nil {
			writeError(w, http.StatusUnprocessableEntity, "base_tree is not a valid tree oid")
			return
		}
		base = h
	}
	var changes []treeChange
	for _, e := range body.Tree {
		mode, err := filemode.New(e.Mode)
		if err != nil || !slices.Contains([]string{"100644", "100755", "040000", "160000", "120000"}, e.Mode) {
			writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("tree.mode %q is not a valid mode", e.Mode))
			return
		}
		c := treeChange{path: e.Path, mode: mode}
		switch sha := strings.TrimSpace(string(e.SHA)); {
		case sha == "null" && e.Content == nil:
			c.del = true
		case e.Content != nil:
			h, err := rp.git.writeBlob([]byte(*e.Content))
			if err != nil {
				writeError(w, http.StatusInternalServerError, err.Error())
				return
			}
			c.hash = h
		case sha != "":
			var str string
			_ = json.Unmarshal(e.SHA, &str)
			h, ok := hashOf(str)
			if !ok {
				writeError(w, http.StatusUnprocessableEntity, "tree.sha "+str+" is not a valid "+e.Type)
				return
			}
			if e.Type == "blob" {
				if _, err := rp.git.blob(h); err != nil {
					writeError(w, http.StatusUnprocessableEntity, "tree.sha "+str+" is not a valid blob")
					return
				}
			}
			c.hash = h
		default:
			writeError(w, http.StatusUnprocessableEntity, "Must supply either tree.sha or tree.content")
			return
		}
		changes = append(changes, c)
	}
	h, empty, err := rp.git.buildTree(base, changes)
	var bad *errBadPath
	if errors.As(err, &bad) {
		writeError(w, http.StatusUnprocessableEntity, bad.msg)
		return
	}
	if err == nil && empty {
		h, err = rp.git.emptyTree()
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.writeStarted(key(rp.owner, rp.name), h.String(), r.RemoteAddr)
	var entries []flatEntry
	_ = rp.git.walk(h, "", false, &entries)
	writeJSON(w, http.StatusCreated, s.treeJSON(r, rp, h, entries, false))
}

func (s *Server) getBlob(w http.ResponseWriter, r *http.Request) {
	rp, unlock, ok := s.lockRepo(w, r, false)
	if !ok {
		return
	}
	defer unlock()
	h, ok := hashOf(r.PathValue("file_sha"))
	b, err := rp.git.blob(h)
	if !ok || err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "raw") {
		w.Header().Set("Content-Type", "application/vnd.github.raw")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		_, _ = w.Write(b)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"sha": h.String(), "size": len(b), "url": s.apiURL(r, rp, "/git/blobs/"+h.String()),
		"content": wrap64(b), "encoding": "base64",
	})
}

// wrap64 encodes like GitHub: base64 in lines of 60 characters.
func wrap64(b []byte) string {
	enc := base64.StdEncoding.EncodeToString(b)
	var sb strings.Builder
	for len(enc) > 60 {
		sb.WriteString(enc[:60] + "\n")
		enc = enc[60:]
	}
	sb.WriteString(enc)
	if sb.Len() > 0 {
		sb.WriteString("\n")
	}
	return sb.String()
}

func unwrap64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.NewReplacer("\n", "", "\r", "").Replace(s))
}

func (s *Server) createBlob(w http.ResponseWriter, r *http.Request) {
	rp, ok := s.access(w, r)
	if !ok {
		return
	}
	var body struct{ Content, Encoding string }
	if !decode(w, r, &body) {
		return
	}
	b := []byte(body.Content)
	if body.Encoding == "base64" {
		var err error
		if b, err = unwrap64(body.Content); err != nil {
			writeError(w, http.StatusUnprocessableEntity, "content is not valid Base64")
			return
		}
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if s.emptyRepo(w, rp) {
		return
	}
	h, err := rp.git.writeBlob(b)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"sha": h.String(), "url": s.apiURL(r, rp, "/git/blobs/"+h.String())})
}

// fileAt finds path in the tree of a commit. The caller holds rp.mu.
func (rp *repo) fileAt(c *object.Commit, p string) (plumbing.Hash, bool) {
	files, err := rp.git.files(c.TreeHash)
	if err != nil {
		return plumbing.ZeroHash, false
	}
	h, ok := files[p]
	return h, ok
}

func (s *Server) getContents(w http.ResponseWriter, r *http.Request) {
	rp, unlock, ok := s.lockRepo(w, r, false)
	if !ok {
		return
	}
	defer unlock()
	if empty, _ := rp.git.isEmpty(); empty {
		writeError(w, http.StatusNotFound, "This repository is empty.")
		return
	}
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = rp.defaultBranch()
	}
	c, ok := rp.commitish(ref)
	if !ok {
		writeError(w, http.StatusNotFound, "No commit found for the ref "+ref)
		return
	}
	p := r.PathValue("path")
	h, ok := rp.fileAt(c, p)
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	b, err := rp.git.blob(h)
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	self := s.apiURL(r, rp, "/contents/"+p+"?ref="+ref)
	html := s.htmlURL(rp, "/blob/"+ref+"/"+p)
	gitURL := s.apiURL(r, rp, "/git/blobs/"+h.String())
	writeJSON(w, http.StatusOK, map[string]any{
		"type": "file", "encoding": "base64", "size": len(b), "name": path.Base(p), "path": p,
		"content": wrap64(b), "sha": h.String(), "url": self, "git_url": gitURL, "html_url": html,
		"download_url": s.htmlURL(rp, "/raw/"+ref+"/"+p),
		"_links":       map[string]any{"self": self, "git": gitURL, "html": html},
	})
}

type contentsBody struct {
	Message   string    `json:"message"`
	Content   *string   `json:"content"`
	SHA       string    `json:"sha"`
	Branch    string    `json:"branch"`
	Author    *personIn `json:"author"`
	Committer *personIn `json:"committer"`
}

func (s *Server) putContents(w http.ResponseWriter, r *http.Request) {
	s.writeContents(w, r, false)
}

func (s *Server) deleteContents(w http.ResponseWriter, r *http.Request) {
	s.writeContents(w, r, true)
}

func (s *Server) writeContents(w http.ResponseWriter, r *http.Request, del bool) {
	rp, ok := s.access(w, r)
	if !ok {
		return
	}
	var body contentsBody
	if !decode(w, r, &body) {
		return
	}
	var content []byte
	if !del {
		if body.Content == nil {
			writeError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"content\" wasn't supplied.")
			return
		}
		var err error
		if content, err = unwrap64(*body.Content); err != nil {
			writeError(w, http.StatusUnprocessableEntity, "content is not valid Base64")
			return
		}
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	p := r.PathValue("path")
	empty, err := rp.git.isEmpty()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	branch := body.Branch
	if branch == "" {
		branch = rp.defaultBranch()
	}
	if rp.protected[branch] {
		writeError(w, http.StatusConflict, "Protected branch update failed for refs/heads/"+branch+".")
		return
	}
	var cur plumbing.Hash
	exists := false
	var head *object.Commit
	if !empty {
		c, ok := rp.commitish(branch)
		if !ok {
			writeError(w, http.StatusNotFound, "Branch "+branch+" not found")
			return
		}
		head = c
		cur, exists = rp.fileAt(c, p)
	}
	switch {
	case del && !exists:
		writeError(w, http.StatusNotFound, "Not Found")
		return
	case exists && body.SHA == "":
		writeError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.")
		return
	case exists && body.SHA != cur.String(), !exists && body.SHA != "":
		writeError(w, http.StatusConflict, p+" does not match "+body.SHA)
		return
	}
	author := s.sig(body.Author, s.tokenUser(r))
	committer := s.sig(body.Committer, author)
	var files map[string][]byte
	if del {
		files = map[string][]byte{p: nil}
	} else {
		files = map[string][]byte{p: content}
	}
	h, err := rp.commitFiles(branch, files, body.Message, author)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	// commitFiles signs with one identity; rewrite with the committer when
	// it differs (rare: the port uses the same for both).
	if committer != author {
		c, _ := rp.git.commit(h)
		h2, err := rp.git.writeCommit(c.TreeHash, c.ParentHashes, c.Message, author, committer)
		if err == nil {
			h = h2
			_ = rp.git.setRef(plumbing.NewBranchReferenceName(branch), h)
		}
	}
	if empty {
		_ = rp.git.st.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName(branch)))
	}
	s.markVerified(r, h, body.Author, body.Committer)
	c, _ := rp.git.commit(h)
	s.count(func(st *Stats) {
		st.Commits++
		st.RefUpdates++
		if head != nil && head.TreeHash == c.TreeHash {
			st.EmptyCommits++
		}
	})
	commit := s.commitJSON(r, rp, h, c)
	code := http.StatusOK
	var contentJSON any
	if !del {
		blob, _ := rp.fileAt(c, p)
		contentJSON = map[string]any{"type": "file", "name": path.Base(p), "path": p, "sha": blob.String(), "size": len(content)}
		if !exists {
			code = http.StatusCreated
		}
	}
	writeJSON(w, code, map[string]any{"content": contentJSON, "commit": commit})
}

func (s *Server) compare(w http.ResponseWriter, r *http.Request) {
	rp, ok := s.access(w, r)
	if !ok {
		return
	}
	baseName, headName, ok := strings.Cut(r.PathValue("basehead"), "...")
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	base, ok1 := rp.commitish(baseName)
	head, ok2 := rp.commitish(headName)
	if !ok1 || !ok2 {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	mbs, err := base.MergeBase(head)
	if err != nil || len(mbs) == 0 {
		writeError(w, http.StatusNotFound, "No common ancestor between "+baseName+" and "+headName+".")
		return
	}
	mb := mbs[0]
	status := "diverged"
	switch {
	case base.Hash == head.Hash:
		status = "identical"
	case mb.Hash == base.Hash:
		status = "ahead"
	case mb.Hash == head.Hash:
		status = "behind"
	}
	from, err1 := rp.git.files(mb.TreeHash)
	to, err2 := rp.git.files(head.TreeHash)
	if err1 != nil || err2 != nil {
		writeError(w, http.StatusInternalServerError, "cannot list trees")
		return
	}
	files := []map[string]any{}
	for p, h := range to {
		if old, ok := from[p]; !ok {
			files = append(files, s.diffEntry(r, rp, head.Hash, p, "added", h))
		} else if old != h {
			files = append(files, s.diffEntry(r, rp, head.Hash, p, "modified", h))
		}
	}
	for p, h := range from {
		if _, ok := to[p]; !ok {
			files = append(files, s.diffEntry(r, rp, head.Hash, p, "removed", h))
		}
	}
	slices.SortFunc(files, func(a, b map[string]any) int { return strings.Compare(a["filename"].(string), b["filename"].(string)) })
	if len(files) > s.opts.CompareMaxFiles {
		files = files[:s.opts.CompareMaxFiles]
	}
	ahead, behind := commitsSince(rp, head, mb.Hash), commitsSince(rp, base, mb.Hash)
	commits := []map[string]any{}
	for _, c := range ahead[:min(len(ahead), 250)] { // GitHub lists at most 250
		commits = append(commits, s.repoCommitJSON(r, rp, c))
	}
	bh := r.PathValue("basehead")
	writeJSON(w, http.StatusOK, map[string]any{
		"url": s.apiURL(r, rp, "/compare/"+bh), "html_url": s.htmlURL(rp, "/compare/"+bh),
		"permalink_url": s.htmlURL(rp, "/compare/"+rp.owner+":"+base.Hash.String()[:7]+"..."+rp.owner+":"+head.Hash.String()[:7]),
		"diff_url":      s.htmlURL(rp, "/compare/"+bh+".diff"), "patch_url": s.htmlURL(rp, "/compare/"+bh+".patch"),
		"status": status, "ahead_by": len(ahead), "behind_by": len(behind), "total_commits": len(ahead),
		"base_commit": s.repoCommitJSON(r, rp, base), "merge_base_commit": s.repoCommitJSON(r, rp, mb),
		"commits": commits, "files": files,
	})
}

// pullJSON is a pull-request. The caller holds rp.mu.
func (s *Server) pullJSON(r *http.Request, rp *repo, p *pull) map[string]any {
	n := strconv.Itoa(p.Number)
	id := idOf("pull", rp.owner+"/"+rp.name+"#"+n)
	side := func(branch string) map[string]any {
		h, _ := rp.git.ref(plumbing.NewBranchReferenceName(branch))
		return map[string]any{"label": rp.owner + ":" + branch, "ref": branch, "sha": h.String(),
			"user": s.userJSON(r, rp.owner), "repo": s.repositoryJSON(r, rp, rp.defaultBranch())}
	}
	head := side(p.Head)
	when := created.Format(time.RFC3339)
	return map[string]any{
		"id": id, "node_id": nodeID("PullRequest", id), "number": p.Number, "state": p.State, "locked": false,
		"title": p.Title, "body": p.Body, "user": s.userJSON(r, rp.owner), "labels": []any{}, "milestone": nil,
		"assignee": nil, "active_lock_reason": nil, "created_at": when, "updated_at": when, "closed_at": nil, "merged_at": nil,
		"merge_commit_sha": nil, "author_association": "OWNER", "auto_merge": nil, "draft": false,
		"merged": false, "mergeable": nil, "mergeable_state": "unknown", "merged_by": nil, "maintainer_can_modify": false,
		"comments": 0, "review_comments": 0, "commits": 1, "additions": 0, "deletions": 0, "changed_files": 0,
		"url": s.apiURL(r, rp, "/pulls/"+n), "html_url": s.htmlURL(rp, "/pull/"+n),
		"diff_url": s.htmlURL(rp, "/pull/"+n+".diff"), "patch_url": s.htmlURL(rp, "/pull/"+n+".patch"),
		"issue_url": s.apiURL(r, rp, "/issues/"+n), "commits_url": s.apiURL(r, rp, "/pulls/"+n+"/commits"),
		"review_comments_url": s.apiURL(r, rp, "/pulls/"+n+"/comments"), "review_comment_url": s.apiURL(r, rp, "/pulls/comments{/number}"),
		"comments_url": s.apiURL(r, rp, "/issues/"+n+"/comments"), "statuses_url": s.apiURL(r, rp, "/statuses/"+head["sha"].(string)),
		"head": head, "base": side(p.Base), "_links": s.pullLinks(r, rp, p.Number, head["sha"].(string)),
	}
}

func (s *Server) listPulls(w http.ResponseWriter, r *http.Request) {
	rp, ok := s.access(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	head := q.Get("head")
	if o, b, ok := strings.Cut(head, ":"); ok {
		if !strings.EqualFold(o, rp.owner) {
			writeJSON(w, http.StatusOK, []any{})
			return
		}
		head = b
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	out := []map[string]any{}
	for _, p := range rp.pulls {
		if (state == "all" || p.State == state) && (head == "" || p.Head == head) && (q.Get("base") == "" || p.Base == q.Get("base")) {
			out = append(out, s.pullJSON(r, rp, p))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createPull(w http.ResponseWriter, r *http.Request) {
	rp, ok := s.access(w, r)
	if !ok {
		return
	}
	var body struct{ Title, Head, Base, Body string }
	if !decode(w, r, &body) {
		return
	}
	if _, b, ok := strings.Cut(body.Head, ":"); ok {
		body.Head = b
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	_, okHead := rp.commitish(body.Head)
	_, okBase := rp.commitish(body.Base)
	if !okHead || !okBase || body.Title == "" {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed")
		return
	}
	for _, p := range rp.pulls {
		if p.State == "open" && p.Head == body.Head && p.Base == body.Base {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
				"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
				"errors": []map[string]any{{"resource": "PullRequest", "code": "custom", "message": "A pull request already exists for " + rp.owner + ":" + body.Head + "."}},
			})
			return
		}
	}
	s.mu.Lock()
	s.nextPR++
	n := s.nextPR
	s.stats.PullRequests++
	s.mu.Unlock()
	p := &pull{Number: n, Title: body.Title, Body: body.Body, Head: body.Head, Base: body.Base, State: "open"}
	rp.pulls = append(rp.pulls, p)
	writeJSON(w, http.StatusCreated, s.pullJSON(r, rp, p))
}

// commitsSince lists the commits reachable from c but not from stop (an
// ancestor of c), newest first. The caller holds rp.mu.
func commitsSince(rp *repo, c *object.Commit, stop plumbing.Hash) []*object.Commit {
	var out []*object.Commit
	seen := map[plumbing.Hash]bool{stop: true}
	queue := []*object.Commit{c}
	for len(queue) > 0 && len(out) < 10000 {
		cur := queue[0]
		queue = queue[1:]
		if seen[cur.Hash] {
			continue
		}
		seen[cur.Hash] = true
		out = append(out, cur)
		for _, p := range cur.ParentHashes {
			if pc, err := rp.git.commit(p); err == nil && !seen[p] {
				queue = append(queue, pc)
			}
		}
	}
	return out
}

// repoCommitJSON is a commit as the repository endpoints describe it
// ("commit"), not the Git Data one.
func (s *Server) repoCommitJSON(r *http.Request, rp *repo, c *object.Commit) map[string]any {
	sha := c.Hash.String()
	parents := []map[string]any{}
	for _, p := range c.ParentHashes {
		parents = append(parents, map[string]any{"sha": p.String(), "url": s.apiURL(r, rp, "/commits/"+p.String()), "html_url": s.htmlURL(rp, "/commit/"+p.String())})
	}
	return map[string]any{
		"sha": sha, "node_id": nodeID("Commit", sha), "url": s.apiURL(r, rp, "/commits/"+sha), "html_url": s.htmlURL(rp, "/commit/"+sha),
		"comments_url": s.apiURL(r, rp, "/commits/"+sha+"/comments"), "author": nil, "committer": nil, "parents": parents,
		"commit": map[string]any{
			"url": s.apiURL(r, rp, "/git/commits/"+sha), "message": c.Message, "comment_count": 0,
			"author":       personJSON{c.Author.Name, c.Author.Email, c.Author.When.UTC()},
			"committer":    personJSON{c.Committer.Name, c.Committer.Email, c.Committer.When.UTC()},
			"tree":         map[string]any{"sha": c.TreeHash.String(), "url": s.apiURL(r, rp, "/git/trees/"+c.TreeHash.String())},
			"verification": s.verification(c.Hash),
		},
	}
}

// diffEntry is one file of a comparison.
func (s *Server) diffEntry(r *http.Request, rp *repo, head plumbing.Hash, p, status string, blob plumbing.Hash) map[string]any {
	return map[string]any{
		"filename": p, "status": status, "sha": blob.String(), "additions": 0, "deletions": 0, "changes": 0,
		"blob_url": s.htmlURL(rp, "/blob/"+head.String()+"/"+p), "raw_url": s.htmlURL(rp, "/raw/"+head.String()+"/"+p),
		"contents_url": s.apiURL(r, rp, "/contents/"+p+"?ref="+head.String()),
	}
}
