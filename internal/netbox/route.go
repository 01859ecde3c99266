package netbox

import (
	"net/http"
	"strings"
)

// Route gives a low-cardinality template of req for metrics labels: the
// method and the path from /api/ on, with numeric segments replaced by {id},
// e.g. "GET /api/plugins/hedgehog/fabrics/{id}/". A request outside /api/
// is "<METHOD> other".
func Route(req *http.Request) string {
	if req == nil || req.URL == nil {
		return "other"
	}
	path := req.URL.Path
	i := strings.Index(path, "/api/")
	if i < 0 {
		return req.Method + " other"
	}
	segs := strings.Split(path[i+1:], "/")
	for j, s := range segs {
		if s != "" && isDigits(s) {
			segs[j] = "{id}"
		}
	}
	return req.Method + " /" + strings.Join(segs, "/")
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
