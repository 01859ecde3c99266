package netboxsim

import "time"

// stamped is an extras object the emulator stores: its id and NetBox's
// created and last_updated, reached through stamp.
type stamped[T any] interface {
	*T
	stamp() (id *int64, created, updated *time.Time)
}

func (c *customField) stamp() (*int64, *time.Time, *time.Time) {
	return &c.ID, &c.Created, &c.LastUpdated
}

func (c *choiceSet) stamp() (*int64, *time.Time, *time.Time) {
	return &c.ID, &c.Created, &c.LastUpdated
}

func (w *webhook) stamp() (*int64, *time.Time, *time.Time) {
	return &w.ID, &w.Created, &w.LastUpdated
}

func (r *eventRule) stamp() (*int64, *time.Time, *time.Time) {
	return &r.ID, &r.Created, &r.LastUpdated
}

func (l *customLink) stamp() (*int64, *time.Time, *time.Time) {
	return &l.ID, &l.Created, &l.LastUpdated
}

// writeFunc validates a request body and applies it to an object.
type writeFunc[P any] func(o P, body map[string]any, create, partial bool) fieldErrors

// storeIn gives res the create, update and remove of objects kept in the
// map store returns: a create starts from fresh's defaults, gets the next
// id of kind and both timestamps; an update applies to a copy, kept only
// when write accepts it, and moves last_updated; a remove deletes.
func storeIn[T any, P stamped[T]](s *Server, res *resource, kind string, store func() map[int64]*T, fresh func() *T, write writeFunc[P]) {
	res.create = func(rq *request, body map[string]any) (int64, fieldErrors) {
		o := fresh()
		if errs := write(o, body, true, false); len(errs) > 0 {
			return 0, errs
		}
		id, created, updated := P(o).stamp()
		*id = s.data.id(kind)
		*created, *updated = rq.at, rq.at
		store()[*id] = o
		return *id, nil
	}
	res.update = func(rq *request, id int64, body map[string]any, partial bool) fieldErrors {
		next := *store()[id]
		if errs := write(&next, body, false, partial); len(errs) > 0 {
			return errs
		}
		_, _, updated := P(&next).stamp()
		*updated = rq.at
		*store()[id] = next
		return nil
	}
	res.remove = func(_ *request, id int64) *reply {
		delete(store(), id)
		return nil
	}
}
