package githook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ErrInvalidPayload is matched by every error of Parse.
var ErrInvalidPayload = errors.New("githook: invalid payload")

// Limits of the hosts' push payloads, past which a list may be cut.
const (
	// GitHubMaxCommits: GitHub Enterprise Server and GitHub's documentation
	// up to 2024 list at most 20 commits (the description now says 2048);
	// a push that lists 20 or more may have been cut.
	GitHubMaxCommits = 20
	// MaxFilesPerCommit: GitHub lists at most 3000 changed files per
	// commit (the description of added, modified and removed).
	MaxFilesPerCommit = 3000
	// GiteaFeedMaxCommits is Gitea's default [ui] FEED_MAX_COMMIT_NUM, the
	// commits a push lists; before 1.18 the payload has no total_commits
	// to tell that more were cut, so that many listed counts as cut.
	GiteaFeedMaxCommits = 5
)

const zeroSHA = "0000000000000000000000000000000000000000"

// Push is one push event, over the hosts' payload forms.
type Push struct {
	Host Host
	// Ref is the full ref ("refs/heads/main"); Branch is its name when it
	// is a branch, else "" (a tag).
	Ref, Branch   string
	Before, After string
	// Created and Deleted: the push created or deleted the ref.
	Created, Deleted bool
	// RepositoryURLs holds every URL of the repository the payload gives
	// (web, HTTPS clone, SSH clone), in payload order, without duplicates.
	RepositoryURLs []string
	Commits        []Commit
	// Complete is true when Commits lists every pushed commit with all the
	// files it changed, so Paths is the whole change. A host cuts long
	// pushes, a new or force-pushed branch has no usable list, and some
	// payloads carry no file lists at all.
	Complete bool
}

// Commit is one pushed commit.
type Commit struct {
	ID, Message              string
	AuthorName, AuthorEmail  string
	Added, Modified, Removed []string
}

// Paths returns, sorted and without duplicates, the paths the commits
// added, modified or removed, leaving out the commits skip reports (nil:
// none).
func (p *Push) Paths(skip func(Commit) bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range p.Commits {
		if skip != nil && skip(c) {
			continue
		}
		for _, list := range [][]string{c.Added, c.Modified, c.Removed} {
			for _, path := range list {
				if !seen[path] {
					seen[path] = true
					out = append(out, path)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// Only reports whether the push lists every commit and each is one keep
// reports: false for an incomplete push or one without commits.
func (p *Push) Only(keep func(Commit) bool) bool {
	if !p.Complete || len(p.Commits) == 0 {
		return false
	}
	for _, c := range p.Commits {
		if !keep(c) {
			return false
		}
	}
	return true
}

// wire is the union of the three hosts' push payloads, as far as Push
// needs it.
type wire struct {
	Ref    string `json:"ref"`
	Before string `json:"before"`
	After  string `json:"after"`
	// GitHub
	Created *bool `json:"created"`
	Deleted *bool `json:"deleted"`
	Forced  bool  `json:"forced"`
	// GitLab: total_commits_count; Gitea: total_commits.
	TotalCommitsCount *int64 `json:"total_commits_count"`
	TotalCommits      *int64 `json:"total_commits"`

	Commits    []wireCommit `json:"commits"`
	Repository *wireURLs    `json:"repository"`
	Project    *wireURLs    `json:"project"` // GitLab
}

type wireCommit struct {
	ID       string    `json:"id"`
	Message  string    `json:"message"`
	Author   *wireUser `json:"author"`
	Added    *[]string `json:"added"`
	Modified *[]string `json:"modified"`
	Removed  *[]string `json:"removed"`
}

type wireUser struct {
	Name  string  `json:"name"`
	Email *string `json:"email"` // GitHub allows null
}

// wireURLs holds every URL field of a repository or GitLab project.
type wireURLs struct {
	HTMLURL    string `json:"html_url"`
	CloneURL   string `json:"clone_url"`
	SSHURL     string `json:"ssh_url"`
	WebURL     string `json:"web_url"`
	GitHTTPURL string `json:"git_http_url"`
	GitSSHURL  string `json:"git_ssh_url"`
	HTTPURL    string `json:"http_url"`
	Homepage   string `json:"homepage"`
}

func (u *wireURLs) all() []string {
	if u == nil {
		return nil
	}
	return []string{u.HTMLURL, u.CloneURL, u.SSHURL, u.WebURL, u.GitHTTPURL, u.GitSSHURL, u.HTTPURL, u.Homepage}
}

// Parse reads a push event's body as host sends it. The error, which
// matches ErrInvalidPayload, is one line and never quotes the body.
func Parse(host Host, body []byte) (*Push, error) {
	var w wire
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return nil, invalidf("not a push payload: %s", oneLine(err.Error()))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalidf("data after the top-level value")
	}
	if w.Ref == "" {
		return nil, invalidf("ref: missing")
	}
	p := &Push{Host: host, Ref: w.Ref, Before: w.Before, After: w.After}
	p.Branch, _ = strings.CutPrefix(w.Ref, "refs/heads/")
	if p.Branch == w.Ref {
		p.Branch = ""
	}
	p.Created = w.Before == zeroSHA || (w.Created != nil && *w.Created)
	p.Deleted = w.After == zeroSHA || (w.Deleted != nil && *w.Deleted)
	p.RepositoryURLs = urls(w.Project.all(), w.Repository.all())
	if len(p.RepositoryURLs) == 0 {
		return nil, invalidf("repository: no URL")
	}
	complete := true
	for _, c := range w.Commits {
		pc := Commit{ID: c.ID, Message: c.Message}
		if c.Author != nil {
			pc.AuthorName = c.Author.Name
			if c.Author.Email != nil {
				pc.AuthorEmail = *c.Author.Email
			}
		}
		if c.Added == nil && c.Modified == nil && c.Removed == nil {
			complete = false // a payload without file lists
		} else {
			pc.Added, pc.Modified, pc.Removed = deref(c.Added), deref(c.Modified), deref(c.Removed)
			if len(pc.Added)+len(pc.Modified)+len(pc.Removed) >= MaxFilesPerCommit {
				complete = false
			}
		}
		p.Commits = append(p.Commits, pc)
	}
	p.Complete = complete && listedAll(host, &w, p)
	return p, nil
}

// listedAll tells whether the payload lists every pushed commit.
func listedAll(host Host, w *wire, p *Push) bool {
	n := int64(len(w.Commits))
	switch {
	case p.Created || p.Deleted || w.Forced || n == 0:
		// A new branch lists no usable range; a forced push's list says
		// nothing of what the rewind took away; no commits: nothing to go by.
		return false
	case w.TotalCommitsCount != nil && *w.TotalCommitsCount > n:
		return false
	case w.TotalCommits != nil && *w.TotalCommits > n:
		return false
	case host == GitHub && n >= GitHubMaxCommits:
		return false
	case host == Gitea && w.TotalCommits == nil && n >= GiteaFeedMaxCommits:
		return false
	}
	return true
}

func deref(s *[]string) []string {
	if s == nil {
		return nil
	}
	return *s
}

func urls(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, u := range l {
			if u = strings.TrimSpace(u); u != "" && !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	return out
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidPayload, fmt.Sprintf(format, args...))
}

// oneLine keeps a decoder's message on one line and short.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
