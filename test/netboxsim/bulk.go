package netboxsim

import (
	"maps"
	"net/http"
	"slices"
)

// NetBox's bulk operations: a JSON list POSTed, PATCHed, PUT or DELETEd on
// a list endpoint. They are atomic (one transaction) and cause one event
// per object, all with the request's id.

// clone deep-copies the store, so a failed bulk operation can roll back.
func (st *store) clone() *store {
	c := &store{
		nextID:     maps.Clone(st.nextID),
		fabrics:    make(map[int64]*Fabric, len(st.fabrics)),
		repos:      cloneTable(st.repos),
		cfs:        cloneTable(st.cfs),
		choiceSets: cloneTable(st.choiceSets),
		webhooks:   cloneTable(st.webhooks),
		rules:      cloneTable(st.rules),
		links:      cloneTable(st.links),
		patchLog:   make(map[int64][]PatchEntry, len(st.patchLog)),
		patches:    maps.Clone(st.patches),
		changes:    maps.Clone(st.changes),
		journal:    cloneTable(st.journal),
	}
	for id, f := range st.fabrics {
		v := f.clone()
		c.fabrics[id] = &v
	}
	for id, l := range st.patchLog {
		c.patchLog[id] = slices.Clone(l)
	}
	return c
}

// cloneTable copies the rows of a table; their slices are replaced, never
// modified in place, so a shallow row copy is enough.
func cloneTable[T any](m map[int64]*T) map[int64]*T {
	out := make(map[int64]*T, len(m))
	for id, v := range m {
		c := *v
		out[id] = &c
	}
	return out
}

// bulkErrors is the 400 body of a bulk write: one entry per item, empty
// for the items that were fine.
func bulkErrors(errs []fieldErrors) reply {
	out := make([]any, len(errs))
	for i, e := range errs {
		if e == nil {
			out[i] = obj()
		} else {
			out[i] = e
		}
	}
	return reply{http.StatusBadRequest, out}
}

func (s *Server) bulkCreate(rq *request, res resource, list []any) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	backup := s.data.clone()
	errs := make([]fieldErrors, len(list))
	failed := false
	var ids []int64
	for i, it := range list {
		in, bad := asObject(it)
		if bad != nil {
			s.data = backup
			return *bad
		}
		id, e := res.create(rq, in)
		if len(e) > 0 {
			errs[i], failed = e, true
			continue
		}
		ids = append(ids, id)
	}
	if failed {
		s.data = backup
		return bulkErrors(errs)
	}
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		data := res.rest(id)
		s.event(rq, res, "created", id, data, nil, res.snapshot(id))
		out = append(out, data)
	}
	return reply{http.StatusCreated, out}
}

// bulkItems reads a bulk body: a list of objects with existing ids.
func (s *Server) bulkItems(rq *request, res resource) ([]map[string]any, []int64, *reply) {
	v, bad := decodeJSON(rq.r)
	if bad != nil {
		return nil, nil, bad
	}
	list, ok := v.([]any)
	if !ok {
		rep := reply{http.StatusBadRequest, obj("non_field_errors", []any{"Bulk operations require a list of objects."})}
		return nil, nil, &rep
	}
	items := make([]map[string]any, len(list))
	ids := make([]int64, len(list))
	existing := res.ids()
	for i, it := range list {
		in, bad := asObject(it)
		if bad != nil {
			return nil, nil, bad
		}
		id, ok := asInt(in["id"])
		if !ok {
			rep := reply{http.StatusBadRequest, obj("id", []any{"This field is required."})}
			return nil, nil, &rep
		}
		if !slices.Contains(existing, id) {
			rep := notFound()
			return nil, nil, &rep
		}
		items[i], ids[i] = in, id
	}
	return items, ids, nil
}

func (s *Server) bulkUpdateHandler(res resource, partial bool) func(*request) reply {
	return func(rq *request) reply {
		s.mu.Lock()
		defer s.mu.Unlock()
		items, ids, bad := s.bulkItems(rq, res)
		if bad != nil {
			return *bad
		}
		backup := s.data.clone()
		pres := make([]object, len(ids))
		errs := make([]fieldErrors, len(ids))
		failed := false
		for i, id := range ids {
			pres[i] = res.snapshot(id)
			if e := res.update(rq, id, items[i], partial); len(e) > 0 {
				errs[i], failed = e, true
			}
		}
		if failed {
			s.data = backup
			return bulkErrors(errs)
		}
		out := make([]any, 0, len(ids))
		for i, id := range ids {
			data := res.rest(id)
			s.event(rq, res, "updated", id, data, pres[i], res.snapshot(id))
			out = append(out, data)
		}
		return reply{http.StatusOK, out}
	}
}

func (s *Server) bulkDeleteHandler(res resource) func(*request) reply {
	return func(rq *request) reply {
		s.mu.Lock()
		defer s.mu.Unlock()
		_, ids, bad := s.bulkItems(rq, res)
		if bad != nil {
			return *bad
		}
		backup := s.data.clone()
		type gone struct {
			id        int64
			data, pre object
		}
		var done []gone
		for _, id := range ids {
			g := gone{id, res.rest(id), res.snapshot(id)}
			if refused := res.remove(rq, id); refused != nil {
				s.data = backup
				return *refused
			}
			done = append(done, g)
		}
		for _, g := range done {
			s.event(rq, res, "deleted", g.id, g.data, g.pre, nil)
		}
		return reply{http.StatusNoContent, nil}
	}
}
