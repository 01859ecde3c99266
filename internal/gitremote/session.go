package gitremote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/file"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"

	"github.com/githedgehog/hnp-gitops/internal/gitport"
)

// session is one Apply's view of a repository: its endpoint (without
// credentials), the transport client and the auth method.
type session struct {
	r    *Remote
	repo gitport.Repo
	ep   *transport.Endpoint
	cl   transport.Transport
	auth transport.AuthMethod
	sc   scrubber
	// hint is added to an authentication error: why no credentials went.
	hint string
}

func (r *Remote) session(repo gitport.Repo) (*session, error) {
	creds := r.o.CredentialsFor(repo)
	raw := strings.TrimSpace(r.o.URLFor(repo))
	sc := scrubber{secrets: []string{creds.Password, creds.SSHKeyPassphrase}}
	invalid := func(msg string, cause error) (*session, error) {
		if cause != nil {
			cause = &secretCause{msg: sc.scrub(cause.Error()), err: cause}
		}
		return nil, newError(gitport.ClassInvalid, repo, "open remote", msg, cause)
	}
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			sc.secrets = append(sc.secrets, p)
		}
	}
	ep, err := transport.NewEndpoint(raw)
	if err != nil || raw == "" {
		return invalid("unusable clone URL "+sc.scrub(raw), err)
	}
	s := &session{r: r, repo: repo, ep: ep, sc: sc}
	switch ep.Protocol {
	case "http", "https":
		s.auth, s.hint = httpAuth(ep, creds)
		s.cl = r.http
	case "ssh":
		ep.Password = ""
		if creds.SSHKeyFile == "" {
			return invalid("an SSH URL needs an SSH key file in the repository's credentials", nil)
		}
		if creds.KnownHostsFile == "" {
			return invalid("an SSH URL needs a known_hosts file: host keys are never accepted blindly", nil)
		}
		user := ep.User
		if user == "" {
			user = "git"
		}
		pk, err := gitssh.NewPublicKeysFromFile(user, creds.SSHKeyFile, creds.SSHKeyPassphrase)
		if err != nil {
			return invalid("cannot load the SSH key file", err)
		}
		cb, err := gitssh.NewKnownHostsCallback(creds.KnownHostsFile)
		if err != nil {
			return invalid("cannot load the known_hosts file", err)
		}
		pk.HostKeyCallback = cb
		s.auth = dialTimeout{PublicKeys: pk, timeout: sshDialTimeout}
		s.cl = r.ssh
	case "file":
		s.cl = file.DefaultClient
	default:
		return invalid(fmt.Sprintf("unsupported URL scheme %q (want https, http, ssh or file)", ep.Protocol), nil)
	}
	return s, nil
}

// sshDialTimeout bounds the SSH connection and handshake, which go-git
// does not bind to the context.
const sshDialTimeout = 30 * time.Second

// dialTimeout gives go-git's SSH client config a dial timeout (go-git's
// client-wide config override would replace the auth and host-key check
// too).
type dialTimeout struct {
	*gitssh.PublicKeys
	timeout time.Duration
}

func (a dialTimeout) ClientConfig() (*ssh.ClientConfig, error) {
	c, err := a.PublicKeys.ClientConfig()
	if c != nil {
		c.Timeout = a.timeout
	}
	return c, err
}

// plainHTTPHint says why nothing was sent to a plain-HTTP server that asks
// for credentials.
const plainHTTPHint = "no credentials are sent over plain http unless the operator allows it " +
	"(an http:// line in the token map, see docs/credentials.md); or use an https URL"

// httpAuth is the basic auth of an HTTP(S) endpoint: the credentials',
// else the URL's, which it takes out of ep (ep's text goes into go-git's
// errors). Over plain HTTP nothing is sent unless creds.PlainHTTP; the
// hint then says why.
func httpAuth(ep *transport.Endpoint, creds Credentials) (transport.AuthMethod, string) {
	user, pass := creds.Username, creds.Password
	if user == "" && pass == "" {
		user, pass = ep.User, ep.Password
	}
	ep.User, ep.Password = "", ""
	if ep.Protocol == "http" && !creds.PlainHTTP {
		return nil, plainHTTPHint
	}
	if pass == "" {
		return nil, ""
	}
	if user == "" {
		user = "git"
	}
	return &githttp.BasicAuth{Username: user, Password: pass}, ""
}

func (s *session) fail(op string, err error) error {
	out := s.sc.classify(s.repo, op, err)
	var e *Error
	if s.hint != "" && errors.As(out, &e) && e.e.Class == gitport.ClassAuth {
		e.e.Message += "; " + s.hint
	}
	return out
}

// remoteState is what the remote advertised.
type remoteState struct {
	empty      bool          // no reference at all
	branch     plumbing.Hash // the target branch, zero when missing
	headBranch string        // the branch HEAD names, "" when unknown
	head       plumbing.Hash // what HEAD resolves to, zero when nothing
}

// openUpload opens an upload-pack session and reads the advertisement.
func (s *session) openUpload(ctx context.Context, branch string) (transport.UploadPackSession, *packp.AdvRefs, remoteState, error) {
	var st remoteState
	up, err := s.cl.NewUploadPackSession(s.ep, s.auth)
	if err != nil {
		return nil, nil, st, s.fail("open upload-pack session", err)
	}
	ar, err := up.AdvertisedReferencesContext(ctx)
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		st.empty = true
		return up, nil, st, nil
	}
	if err != nil {
		_ = up.Close()
		return nil, nil, st, s.fail("list references", err)
	}
	refs, err := ar.AllReferences()
	if err != nil {
		_ = up.Close()
		return nil, nil, st, s.fail("list references", err)
	}
	if ref, ok := refs[plumbing.NewBranchReferenceName(branch)]; ok && ref.Type() == plumbing.HashReference {
		st.branch = ref.Hash()
	}
	if h, ok := refs[plumbing.HEAD]; ok {
		switch h.Type() {
		case plumbing.SymbolicReference:
			if t, ok := refs[h.Target()]; ok && h.Target().IsBranch() {
				st.headBranch, st.head = h.Target().Short(), t.Hash()
			}
		case plumbing.HashReference:
			st.head = h.Hash()
		}
	}
	if !st.empty && st.head.IsZero() && st.branch.IsZero() {
		hasBranch := false
		for n := range refs {
			if plumbing.ReferenceName(n).IsBranch() {
				hasBranch = true
			}
		}
		st.empty = !hasBranch
	}
	return up, ar, st, nil
}

// fetch fetches commit want with depth 1 (the tree is all Apply reads)
// into sto.
func (s *session) fetch(ctx context.Context, up transport.UploadPackSession, ar *packp.AdvRefs, want plumbing.Hash, sto storer.Storer) (err error) {
	req := packp.NewUploadPackRequestFromCapabilities(ar.Capabilities)
	req.Wants = []plumbing.Hash{want}
	if ar.Capabilities.Supports(capability.Shallow) {
		req.Depth = packp.DepthCommits(1)
		if err := req.Capabilities.Set(capability.Shallow); err != nil {
			return s.fail("fetch "+want.String(), err)
		}
	}
	if ar.Capabilities.Supports(capability.NoProgress) {
		_ = req.Capabilities.Set(capability.NoProgress)
	}
	resp, err := up.UploadPack(ctx, req)
	if err != nil {
		return s.fail("fetch "+want.String(), err)
	}
	defer func() {
		if cerr := resp.Close(); cerr != nil && err == nil {
			err = s.fail("fetch "+want.String(), cerr)
		}
	}()
	if err := packfile.UpdateObjectStorage(sto, demux(req.Capabilities, resp, nil)); err != nil {
		return s.fail("fetch "+want.String(), err)
	}
	return nil
}

func demux(l *capability.List, r io.Reader, p sideband.Progress) io.Reader {
	var t sideband.Type
	switch {
	case l.Supports(capability.Sideband64k):
		t = sideband.Sideband64k
	case l.Supports(capability.Sideband):
		t = sideband.Sideband
	default:
		return r
	}
	d := sideband.NewDemuxer(t, r)
	d.Progress = p
	return d
}

// push moves refs/heads/branch from old (zero: create) to new, sending
// objs. It never forces: the server applies the update only while the
// branch is still at old.
func (s *session) push(ctx context.Context, branch string, old, new plumbing.Hash, objs []plumbing.Hash, sto storer.EncodedObjectStorer) error {
	ref := plumbing.NewBranchReferenceName(branch)
	op := "push " + ref.String()
	rp, err := s.cl.NewReceivePackSession(s.ep, s.auth)
	if err != nil {
		return s.fail("open receive-pack session", err)
	}
	defer func() { _ = rp.Close() }()
	ar, err := rp.AdvertisedReferencesContext(ctx)
	if err != nil {
		return s.fail(op, err)
	}
	// The branch moved since the fetch: a conflict, without sending
	// anything. The server checks old again when applying the update.
	if cur := ar.References[ref.String()]; cur != old {
		return newError(gitport.ClassConflict, s.repo, op, fmt.Sprintf("the branch moved (it is at %s, the commit is on %s)", shortHash(cur), shortHash(old)), nil)
	}
	req := packp.NewReferenceUpdateRequestFromCapabilities(ar.Capabilities)
	remote := &limitedBuffer{max: 4096}
	switch {
	case ar.Capabilities.Supports(capability.Sideband64k):
		_ = req.Capabilities.Set(capability.Sideband64k)
		req.Progress = remote
	case ar.Capabilities.Supports(capability.Sideband):
		_ = req.Capabilities.Set(capability.Sideband)
		req.Progress = remote
	}
	req.Commands = []*packp.Command{{Name: ref, Old: old, New: new}}
	var pack bytes.Buffer
	if _, err := packfile.NewEncoder(&pack, sto, false).Encode(objs, 10); err != nil {
		return newError(gitport.ClassInvalid, s.repo, op, "encode pack: "+err.Error(), err)
	}
	req.Packfile = io.NopCloser(&pack)
	rep, err := rp.ReceivePack(ctx, req)
	remoteText := s.sc.scrub(remote.text())
	if rep != nil {
		if rep.UnpackStatus != "ok" {
			return newError(gitport.ClassTransient, s.repo, op, s.sc.scrub("the server could not unpack the commit: "+rep.UnpackStatus), nil)
		}
		for _, cs := range rep.CommandStatuses {
			if cs.Status != "ok" {
				return classifyPush(s.repo, op, s.sc.scrub(cs.Status), remoteText)
			}
		}
	}
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

func shortHash(h plumbing.Hash) string {
	if h.IsZero() {
		return "nothing"
	}
	return h.String()[:12]
}

// limitedBuffer keeps the first max bytes of what the remote printed (its
// hooks' messages) for the error.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) text() string {
	lines := strings.FieldsFunc(b.buf.String(), func(r rune) bool { return r == '\n' || r == '\r' })
	var keep []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, " / ")
}
