package netboxsim

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// simRoutes is the admin API of the standalone emulator under /_sim/: the
// Go helpers over HTTP. It needs no token and is never faulted.
func (s *Server) simRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sim/stats", func(w http.ResponseWriter, _ *http.Request) { simJSON(w, http.StatusOK, s.Stats()) })
	mux.HandleFunc("GET /_sim/deliveries", func(w http.ResponseWriter, _ *http.Request) {
		type view struct {
			Delivery
			Body string `json:"body,omitempty"`
		}
		ds := s.Deliveries()
		out := make([]view, len(ds))
		for i, d := range ds {
			out[i] = view{d, string(d.Body)}
		}
		simJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /_sim/patchlog/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		simJSON(w, http.StatusOK, s.PatchLog(id))
	})
	mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, _ *http.Request) { simJSON(w, http.StatusOK, s.Faults()) })
	mux.HandleFunc("PUT /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			simJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		s.SetFaults(f)
		simJSON(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("POST /_sim/down", func(w http.ResponseWriter, _ *http.Request) {
		s.SetDown(true)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/up", func(w http.ResponseWriter, _ *http.Request) {
		s.SetDown(false)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/fabrics/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		f, ok := s.Fabric(id)
		if !ok {
			simJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
			return
		}
		simJSON(w, http.StatusOK, f)
	})
	mux.HandleFunc("POST /_sim/fabrics", func(w http.ResponseWriter, r *http.Request) {
		var f Fabric
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			simJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		got, err := s.CreateFabricDirect(f)
		if err != nil {
			simJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		simJSON(w, http.StatusCreated, got)
	})
	// PATCH /_sim/fabrics/{id} merges custom_fields and sets the other
	// given fields, without validation or webhook.
	mux.HandleFunc("PATCH /_sim/fabrics/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		var patch map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&patch); err != nil {
			simJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		var derr error
		err := s.SetFabricDirect(id, func(f *Fabric) {
			var cf map[string]any
			if raw, ok := patch["custom_fields"]; ok {
				if derr = json.Unmarshal(raw, &cf); derr != nil {
					return
				}
				delete(patch, "custom_fields")
			}
			merged := *f
			b, _ := json.Marshal(patch)
			if derr = json.Unmarshal(b, &merged); derr != nil {
				return
			}
			for k, v := range cf {
				merged.CustomFields[k] = v
			}
			*f = merged
		})
		if err == nil {
			err = derr
		}
		if err != nil {
			simJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		f, _ := s.Fabric(id)
		simJSON(w, http.StatusOK, f)
	})
	mux.HandleFunc("DELETE /_sim/fabrics/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err := s.DeleteFabricDirect(id); err != nil {
			simJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	// POST /_sim/setup {"webhook_url": ..., "secret": ...} defines the
	// status custom fields and, with a URL, the webhook and event rule.
	mux.HandleFunc("POST /_sim/setup", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			WebhookURL string `json:"webhook_url"`
			Secret     string `json:"secret"`
		}
		if r.ContentLength != 0 {
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				simJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
		}
		if err := s.SetupStatusFields(); err != nil {
			simJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		out := map[string]int64{}
		if in.WebhookURL != "" {
			wid, rid, err := s.AddWebhook(in.WebhookURL, in.Secret)
			if err != nil {
				simJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
			out["webhook_id"], out["event_rule_id"] = wid, rid
		}
		simJSON(w, http.StatusOK, out)
	})
}

func simJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
