package githubsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// repoHook is a repository webhook (GitHub's "hook").
type repoHook struct {
	ID      int64
	Active  bool
	Events  []string
	Config  hookConfig
	Created time.Time
	Updated time.Time
}

// hookConfig is a webhook's config; the secret is never answered.
type hookConfig struct {
	URL         string `json:"url"`
	ContentType string `json:"content_type,omitempty"`
	Secret      string `json:"secret,omitempty"`
	InsecureSSL string `json:"insecure_ssl,omitempty"`
}

// hookIn is the body of create-webhook and update-webhook.
type hookIn struct {
	Name         *string     `json:"name"`
	Config       *hookConfig `json:"config"`
	Events       []string    `json:"events"`
	AddEvents    []string    `json:"add_events"`
	RemoveEvents []string    `json:"remove_events"`
	Active       *bool       `json:"active"`
}

func (s *Server) hookRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /repos/{owner}/{repo}/hooks", s.listHooks)
	m.HandleFunc("POST /repos/{owner}/{repo}/hooks", s.createHook)
	m.HandleFunc("PATCH /repos/{owner}/{repo}/hooks/{hook_id}", s.updateHook)
}

// hookAccess is access for the webhook routes: like GitHub, a token without
// admin rights (a read-only token here) does not see the hooks (404) and
// may not create one (403).
func (s *Server) hookAccess(w http.ResponseWriter, r *http.Request) (*repo, bool) {
	tok := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), "token "))
	if tok != "" && slices.Contains(s.opts.ReadOnlyTokens, tok) && r.Method != http.MethodPost {
		writeError(w, http.StatusNotFound, "Not Found")
		return nil, false
	}
	return s.access(w, r)
}

func (s *Server) listHooks(w http.ResponseWriter, r *http.Request) {
	rp, ok := s.hookAccess(w, r)
	if !ok {
		return
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	out := make([]map[string]any, 0, len(rp.hooks))
	for _, h := range rp.hooks {
		out = append(out, s.hookJSON(r, rp, h))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createHook(w http.ResponseWriter, r *http.Request) {
	rp, ok := s.hookAccess(w, r)
	if !ok {
		return
	}
	var in hookIn
	if !decode(w, r, &in) {
		return
	}
	if in.Config == nil || in.Config.URL == "" || (in.Name != nil && *in.Name != "web") {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed")
		return
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	for _, h := range rp.hooks {
		if h.Config.URL == in.Config.URL {
			writeError(w, http.StatusUnprocessableEntity, "Validation Failed: Hook already exists on this repository")
			return
		}
	}
	now := s.opts.Now().UTC().Truncate(time.Second)
	h := &repoHook{ID: idOf("hook", rp.owner+"/"+rp.name+"#"+strconv.Itoa(len(rp.hooks)+1)), Active: true, Events: []string{"push"},
		Config: *in.Config, Created: now, Updated: now}
	if in.Active != nil {
		h.Active = *in.Active
	}
	if in.Events != nil {
		h.Events = in.Events
	}
	if h.Config.ContentType == "" {
		h.Config.ContentType = "form"
	}
	if h.Config.InsecureSSL == "" {
		h.Config.InsecureSSL = "0"
	}
	rp.hooks = append(rp.hooks, h)
	s.count(func(st *Stats) { st.Writes++ })
	out := s.hookJSON(r, rp, h)
	writeJSON(w, http.StatusCreated, out)
	if h.Active {
		s.ping(r, rp, h, out)
	}
}

func (s *Server) updateHook(w http.ResponseWriter, r *http.Request) {
	rp, ok := s.hookAccess(w, r)
	if !ok {
		return
	}
	var in hookIn
	if !decode(w, r, &in) {
		return
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	id, _ := strconv.ParseInt(r.PathValue("hook_id"), 10, 64)
	i := slices.IndexFunc(rp.hooks, func(h *repoHook) bool { return h.ID == id })
	if i < 0 {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	h := rp.hooks[i]
	if in.Config != nil {
		if in.Config.URL == "" {
			writeError(w, http.StatusUnprocessableEntity, "Validation Failed")
			return
		}
		h.Config = *in.Config
	}
	if in.Events != nil {
		h.Events = in.Events
	}
	for _, e := range in.AddEvents {
		if !slices.Contains(h.Events, e) {
			h.Events = append(h.Events, e)
		}
	}
	h.Events = slices.DeleteFunc(h.Events, func(e string) bool { return slices.Contains(in.RemoveEvents, e) })
	if in.Active != nil {
		h.Active = *in.Active
	}
	h.Updated = s.opts.Now().UTC().Truncate(time.Second)
	s.count(func(st *Stats) { st.Writes++ })
	writeJSON(w, http.StatusOK, s.hookJSON(r, rp, h))
}

// hookJSON is a hook as GitHub answers it: the secret masked.
func (s *Server) hookJSON(r *http.Request, rp *repo, h *repoHook) map[string]any {
	api := s.apiURL(r, rp, "/hooks/"+strconv.FormatInt(h.ID, 10))
	cfg := map[string]any{"url": h.Config.URL, "content_type": h.Config.ContentType, "insecure_ssl": h.Config.InsecureSSL}
	if h.Config.Secret != "" {
		cfg["secret"] = "********"
	}
	return map[string]any{
		"type": "Repository", "id": h.ID, "name": "web", "active": h.Active, "events": append([]string{}, h.Events...),
		"config": cfg, "created_at": h.Created.Format(time.RFC3339), "updated_at": h.Updated.Format(time.RFC3339),
		"url": api, "test_url": api + "/test", "ping_url": api + "/pings", "deliveries_url": api + "/deliveries",
		"last_response": map[string]any{"code": nil, "status": "unused", "message": nil},
	}
}

// ping queues the ping GitHub sends to a new webhook. The caller holds rp.mu.
func (s *Server) ping(r *http.Request, rp *repo, h *repoHook, hook map[string]any) {
	repoJSON := s.repositoryJSON(r, rp, rp.defaultBranch())
	body, _ := json.Marshal(map[string]any{
		"zen": "Keep it logically awesome.", "hook_id": h.ID, "hook": hook,
		"repository": repoJSON, "sender": s.userJSON(r, rp.owner),
	})
	s.hooks.add(HookDelivery{Event: "ping", HookID: h.ID, Body: body, url: h.Config.URL, secret: h.Config.Secret})
}
