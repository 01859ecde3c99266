package githubsim

import (
	"net/http"
	"strings"
)

// RepoSpec is the body of POST /_sim/repos.
type RepoSpec struct {
	Owner         string            `json:"owner"`
	Name          string            `json:"name"`
	Private       bool              `json:"private"`
	DefaultBranch string            `json:"default_branch"`
	Files         map[string]string `json:"files,omitempty"` // seeded on the default branch
	Message       string            `json:"message,omitempty"`
}

// admin serves the emulator's own endpoints. They are not authenticated:
// the emulator is meant for loopback test setups.
//
//	GET    /_sim/stats      the counters (Stats)
//	DELETE /_sim/stats      zero them
//	GET    /_sim/faults     the faults still to inject (Faults)
//	PUT    /_sim/faults     replace them
//	POST   /_sim/repos      create a repository (RepoSpec), optionally seeded
//	POST   /_sim/protect    {"owner","name","branch"}: protect a branch
func (s *Server) admin(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimSuffix(r.URL.Path, "/") + " " + r.Method {
	case "/_sim/stats GET":
		writeJSON(w, http.StatusOK, s.Stats())
	case "/_sim/stats DELETE":
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	case "/_sim/faults GET":
		writeJSON(w, http.StatusOK, s.Faults())
	case "/_sim/faults PUT":
		var f Faults
		if !decode(w, r, &f) {
			return
		}
		s.SetFaults(f)
		writeJSON(w, http.StatusOK, f)
	case "/_sim/repos POST":
		var spec RepoSpec
		if !decode(w, r, &spec) {
			return
		}
		if spec.DefaultBranch == "" {
			spec.DefaultBranch = "main"
		}
		dir, err := s.CreateRepo(spec.Owner, spec.Name, spec.Private, spec.DefaultBranch)
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		out := map[string]any{"dir": dir}
		if len(spec.Files) > 0 {
			files := make(map[string][]byte, len(spec.Files))
			for p, c := range spec.Files {
				files[p] = []byte(c)
			}
			msg := spec.Message
			if msg == "" {
				msg = "Seed"
			}
			head, err := s.SeedFiles(spec.Owner, spec.Name, spec.DefaultBranch, files, msg)
			if err != nil {
				writeError(w, http.StatusUnprocessableEntity, err.Error())
				return
			}
			out["head"] = head
		}
		writeJSON(w, http.StatusCreated, out)
	case "/_sim/protect POST":
		var body struct{ Owner, Name, Branch string }
		if !decode(w, r, &body) {
			return
		}
		if err := s.Protect(body.Owner, body.Name, body.Branch); err != nil {
			writeError(w, http.StatusNotFound, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusNotFound, "Not Found")
	}
}
