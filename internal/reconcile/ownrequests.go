package reconcile

import "sync"

// requestSet is a bounded set of NetBox request ids: the ids of the
// service's own status writes, so that the webhook receiver can tell their
// echoes from a user's change. The oldest id is forgotten first.
type requestSet struct {
	mu   sync.Mutex
	ids  map[string]struct{}
	ring []string
	next int
}

func newRequestSet(size int) *requestSet {
	if size < 1 {
		size = 1
	}
	return &requestSet{ids: make(map[string]struct{}, size), ring: make([]string, size)}
}

func (s *requestSet) add(id string) {
	if id == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ids[id]; ok {
		return
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = id
	s.ids[id] = struct{}{}
	s.next = (s.next + 1) % len(s.ring)
}

func (s *requestSet) has(id string) bool {
	if id == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.ids[id]
	return ok
}
