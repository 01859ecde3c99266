package netboxsim

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Object types of the plugin's models.
const (
	FabricObjectType     = "netbox_hedgehog.hedgehogfabric"
	RepositoryObjectType = "netbox_hedgehog.gitrepository"
)

var fabricStatusChoices = []choice{
	{"planned", "Planned"}, {"active", "Active"}, {"maintenance", "Maintenance"},
	{"decommissioned", "Decommissioned"},
}

var archiveStrategyChoices = []choice{
	{"rename_with_extension", "Rename with extension"}, {"move_to_archive_dir", "Move to archive directory"},
	{"backup_with_timestamp", "Backup with timestamp"}, {"none", "None"},
}

var providerChoices = []choice{
	{"github", "GitHub"}, {"gitlab", "GitLab"}, {"bitbucket", "Bitbucket"},
	{"azure", "Azure DevOps"}, {"generic", "Generic Git"},
}

var authTypeChoices = []choice{
	{"token", "Personal Access Token"}, {"ssh_key", "SSH Key"}, {"oauth", "OAuth"}, {"basic", "Basic Authentication"},
}

// credentialKeys are write-only inputs that set has_credentials; they are
// never stored or returned.
var credentialKeys = []string{"credentials", "token", "password", "ssh_private_key", "ssh_key"}

func (s *Server) resources() []resource {
	return append([]resource{s.fabricResource(), s.repoResource(), s.changeLogResource()}, s.extrasResources()...)
}

func (s *Server) fabricResource() resource {
	return resource{
		path:       s.fabPath,
		objectType: FabricObjectType,
		listRoute:  RouteFabricList,
		getRoute:   RouteFabricGet,
		unfiltered: func() bool { return s.opts.HNPQuirks },
		writeRoute: RouteFabricWrite,
		ids:        func() []int64 { return sortedIDs(s.data.fabrics) },
		has:        func(id int64) bool { return s.data.fabrics[id] != nil },
		rest:       func(id int64) object { return s.fabricREST(s.data.fabrics[id]) },
		snapshot:   func(id int64) object { return fabricSnapshot(s.data.fabrics[id]) },
		match: func(id int64, q url.Values) bool {
			f := s.data.fabrics[id]
			return matchStrings(q, "name", f.Name) && matchStrings(q, "status", f.Status) &&
				matchStrings(q, "git_repository_id", fmt.Sprint(f.GitRepository)) &&
				s.matchCustomFields(FabricObjectType, f.CustomFields, q)
		},
		create: func(rq *request, in map[string]any) (int64, fieldErrors) {
			f := &Fabric{Status: "planned", GitOpsDirectory: "/", KubernetesNamespace: "default"}
			if errs := s.writeFabric(rq, f, in, true, false); len(errs) > 0 {
				return 0, errs
			}
			if s.opts.HNPQuirks {
				f.ArchiveStrategy = "rename_with_extension"
			}
			f.ID = s.data.id("fabric")
			f.Created, f.LastUpdated = rq.at, rq.at
			s.data.fabrics[f.ID] = f
			return f.ID, nil
		},
		update: func(rq *request, id int64, in map[string]any, partial bool) fieldErrors {
			f := s.data.fabrics[id]
			next := f.clone()
			if errs := s.writeFabric(rq, &next, in, false, partial); len(errs) > 0 {
				return errs
			}
			next.LastUpdated = rq.at
			changed := changedFields(f.CustomFields, next.CustomFields)
			*f = next
			s.data.patches[id]++
			if raw, ok := in["custom_fields"].(map[string]any); ok {
				s.data.patchLog[id] = append(s.data.patchLog[id], PatchEntry{
					Time: rq.at, RequestID: rq.id, Method: rq.r.Method, Helper: rq.helper,
					CustomFields: cloneAny(raw), Changed: changed,
				})
			}
			return nil
		},
		remove: func(_ *request, id int64) *reply {
			delete(s.data.fabrics, id)
			return nil
		},
	}
}

// writeFabric applies a create, PUT or PATCH body to f.
func (s *Server) writeFabric(_ *request, f *Fabric, body map[string]any, create, partial bool) fieldErrors {
	in := newInput(body)
	if create || !partial {
		in.require("name")
	}
	var name string
	in.str("name", &name, false)
	if in.has("name") && name != "" && name != f.Name {
		for _, o := range s.data.fabrics {
			if o.Name == name && o.ID != f.ID {
				in.errs.add("name", "hedgehog fabric with this name already exists.")
			}
		}
		f.Name = name
	}
	in.str("description", &f.Description, true)
	in.choice("status", fabricStatusChoices, &f.Status, false)
	in.str("gitops_directory", &f.GitOpsDirectory, false)
	in.choice("archive_strategy", archiveStrategyChoices, &f.ArchiveStrategy, true)
	in.str("kubernetes_namespace", &f.KubernetesNamespace, true)
	if v, ok := body["git_repository"]; ok {
		id, msg := resolveFK(v, s.data.repos, func(r *Repository) map[string]any {
			return map[string]any{"id": r.ID, "name": r.Name, "url": r.URL}
		})
		if msg != "" {
			in.errs.add("git_repository", "%s", msg)
		} else {
			f.GitRepository = id
		}
	}
	if s.opts.HNPBlankJSONFields {
		for _, k := range hnpBlankJSONFields {
			if v, ok := body[k]; !ok || isEmptyJSON(v) {
				in.errs.add(k, "This field cannot be blank.")
			}
		}
	}
	raw, hasCF := body["custom_fields"]
	if create || hasCF {
		cf, errs := s.cleanCustomFields(FabricObjectType, raw, f.CustomFields, create)
		for _, e := range errs {
			in.errs.add("custom_fields", "%s", e)
		}
		if len(errs) == 0 {
			f.CustomFields = cf
		}
	}
	return in.errs
}

// hnpBlankJSONFields are HNP 705549aa's fabric JSON fields without
// blank=True (Options.HNPBlankJSONFields).
var hnpBlankJSONFields = []string{"scheduler_metadata", "active_sync_tasks", "watch_crd_types"}

// isEmptyJSON reports whether Django would call a JSON value blank.
func isEmptyJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// fabricStatus is the fabric's status as the API gives it: NetBox's
// {value, label}, or HNP's plain string.
func (s *Server) fabricStatus(v string) any {
	if s.opts.HNPQuirks {
		return v
	}
	return choiceObj(fabricStatusChoices, v)
}

func (s *Server) fabricREST(f *Fabric) object {
	var repo any
	if f.GitRepository != 0 {
		repo = f.GitRepository
		if s.opts.NestedForeignKeys {
			name := ""
			if r := s.data.repos[f.GitRepository]; r != nil {
				name = r.Name
			}
			repo = obj("id", f.GitRepository, "url", objURL(s.repPath, f.GitRepository), "display", name, "name", name)
		}
	}
	o := obj(
		"id", f.ID,
		"url", objURL(s.fabPath, f.ID),
		"display", f.Name,
		"name", f.Name,
		"description", f.Description,
		"status", s.fabricStatus(f.Status),
		"git_repository", repo,
		"gitops_directory", f.GitOpsDirectory,
	)
	if f.ArchiveStrategy != "" {
		o = append(o, field{Key: "archive_strategy", Value: f.ArchiveStrategy})
	}
	return append(o,
		field{Key: "kubernetes_namespace", Value: f.KubernetesNamespace},
		field{Key: "tags", Value: []any{}},
		field{Key: "custom_fields", Value: s.restCustomFields(FabricObjectType, f.CustomFields)},
		field{Key: "created", Value: drfTime(f.Created)},
		field{Key: "last_updated", Value: drfTime(f.LastUpdated)},
	)
}

// fabricSnapshot is the Django model form NetBox's snapshots use: foreign
// keys as raw ids, custom fields as stored.
func fabricSnapshot(f *Fabric) object {
	var repo any
	if f.GitRepository != 0 {
		repo = f.GitRepository
	}
	return obj(
		"created", djangoTime(f.Created),
		"last_updated", djangoTime(f.LastUpdated),
		"name", f.Name,
		"description", f.Description,
		"status", f.Status,
		"git_repository", repo,
		"gitops_directory", f.GitOpsDirectory,
		"archive_strategy", f.ArchiveStrategy,
		"kubernetes_namespace", f.KubernetesNamespace,
		"custom_fields", jsonbOrder(f.CustomFields),
		"tags", []any{},
	)
}

func (s *Server) repoResource() resource {
	return resource{
		path:       s.repPath,
		objectType: RepositoryObjectType,
		listRoute:  RouteRepoList,
		getRoute:   RouteRepoGet,
		hidden: func(id int64) bool {
			r := s.data.repos[id]
			return s.opts.HNPQuirks && r.CreatedBy != "" && r.CreatedBy != s.opts.Username
		},
		writeRoute: "",
		ids:        func() []int64 { return sortedIDs(s.data.repos) },
		has:        func(id int64) bool { return s.data.repos[id] != nil },
		rest:       func(id int64) object { return s.repoREST(s.data.repos[id]) },
		snapshot:   func(id int64) object { return repoSnapshot(s.data.repos[id]) },
		match: func(id int64, q url.Values) bool {
			r := s.data.repos[id]
			return matchStrings(q, "name", r.Name) && matchStrings(q, "provider", r.Provider) && matchStrings(q, "url", r.URL)
		},
		create: func(rq *request, in map[string]any) (int64, fieldErrors) {
			r := &Repository{Provider: "github", AuthenticationType: "token", DefaultBranch: "main", ValidateSSL: true, TimeoutSeconds: 30}
			if errs := s.writeRepo(r, in, true, false); len(errs) > 0 {
				return 0, errs
			}
			r.ID = s.data.id("repo")
			r.Created, r.LastUpdated = rq.at, rq.at
			s.data.repos[r.ID] = r
			return r.ID, nil
		},
		update: func(rq *request, id int64, in map[string]any, partial bool) fieldErrors {
			next := *s.data.repos[id]
			if errs := s.writeRepo(&next, in, false, partial); len(errs) > 0 {
				return errs
			}
			next.LastUpdated = rq.at
			*s.data.repos[id] = next
			return nil
		},
		remove: func(_ *request, id int64) *reply {
			var deps []string
			for _, fid := range sortedIDs(s.data.fabrics) {
				if f := s.data.fabrics[fid]; f.GitRepository == id {
					deps = append(deps, f.Name)
				}
			}
			if len(deps) > 0 {
				rep := detail(http.StatusConflict, fmt.Sprintf("Unable to delete object. %d dependent objects were found: %s", len(deps), strings.Join(deps, ", ")))
				return &rep
			}
			delete(s.data.repos, id)
			return nil
		},
	}
}

func (s *Server) writeRepo(r *Repository, body map[string]any, create, partial bool) fieldErrors {
	in := newInput(body)
	if create || !partial {
		in.require("name", "url")
	}
	var name string
	in.str("name", &name, false)
	if in.has("name") && name != "" && name != r.Name {
		for _, o := range s.data.repos {
			if o.Name == name && o.ID != r.ID {
				in.errs.add("name", "git repository with this name already exists.")
			}
		}
		r.Name = name
	}
	var u string
	in.str("url", &u, false)
	if u != "" {
		if !validGitURL(u) {
			in.errs.add("url", "Enter a valid git URL (https://... or git@host:owner/repo.git).")
		}
		r.URL = u
	}
	in.choice("provider", providerChoices, &r.Provider, false)
	in.choice("authentication_type", authTypeChoices, &r.AuthenticationType, false)
	in.str("default_branch", &r.DefaultBranch, false)
	in.str("push_branch", &r.PushBranch, true)
	in.boolean("validate_ssl", &r.ValidateSSL)
	in.integer("timeout_seconds", &r.TimeoutSeconds)
	if r.TimeoutSeconds < 1 || r.TimeoutSeconds > 3600 {
		in.errs.add("timeout_seconds", "Ensure this value is between 1 and 3600.")
	}
	for _, k := range credentialKeys {
		if v, ok := body[k]; ok && v != nil && v != "" {
			r.HasCredentials = true
		}
	}
	return in.errs
}

func validGitURL(u string) bool {
	switch {
	case strings.HasPrefix(u, "https://"), strings.HasPrefix(u, "http://"), strings.HasPrefix(u, "ssh://"), strings.HasPrefix(u, "file://"):
		p, err := url.Parse(u)
		return err == nil && (p.Host != "" || p.Scheme == "file")
	case strings.HasPrefix(u, "git@"):
		return strings.Contains(u, ":")
	}
	return false
}

func (s *Server) repoREST(r *Repository) object {
	return obj(
		"id", r.ID,
		"url", r.URL,
		"display", r.Name,
		"name", r.Name,
		"provider", choiceObj(providerChoices, r.Provider),
		"authentication_type", choiceObj(authTypeChoices, r.AuthenticationType),
		"default_branch", r.DefaultBranch,
		"push_branch", r.PushBranch,
		"validate_ssl", r.ValidateSSL,
		"timeout_seconds", r.TimeoutSeconds,
		"has_credentials", r.HasCredentials,
		"created", drfTime(r.Created),
		"last_updated", drfTime(r.LastUpdated),
	)
}

func repoSnapshot(r *Repository) object {
	return obj(
		"created", djangoTime(r.Created),
		"last_updated", djangoTime(r.LastUpdated),
		"name", r.Name,
		"url", r.URL,
		"provider", r.Provider,
		"authentication_type", r.AuthenticationType,
		"default_branch", r.DefaultBranch,
		"push_branch", r.PushBranch,
		"validate_ssl", r.ValidateSSL,
		"timeout_seconds", r.TimeoutSeconds,
	)
}

// changedFields names the custom fields whose stored value differs.
func changedFields(before, after map[string]any) []string {
	var out []string
	for _, k := range sortedKeys(after) {
		a, _ := encodeJSON(before[k], false)
		b, _ := encodeJSON(after[k], false)
		if string(a) != string(b) {
			out = append(out, k)
		}
	}
	return out
}
