package githubsim

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Faults are injected into API requests (never into /_sim/). Counts are
// consumed as they fire; rates apply to every matching request. The first
// fault that fires answers the request; latency comes on top.
type Faults struct {
	// Match limits the faults to requests whose "METHOD /route" contains
	// it, e.g. "PATCH " or "/git/trees". Empty: every request.
	Match string `json:"match,omitempty"`
	// LatencyMS delays every matching request.
	LatencyMS int `json:"latency_ms,omitempty"`
	// Errors answers the next n matching requests with ErrorStatus
	// (default 502); ErrorRate answers that fraction of them.
	Errors      int     `json:"errors,omitempty"`
	ErrorRate   float64 `json:"error_rate,omitempty"`
	ErrorStatus int     `json:"error_status,omitempty"`
	// Timeouts hangs the next n matching requests until the client gives
	// up; TimeoutRate hangs that fraction of them.
	Timeouts    int     `json:"timeouts,omitempty"`
	TimeoutRate float64 `json:"timeout_rate,omitempty"`
	// RateLimited answers the next n with 403 and retry-after; TooMany
	// with 429 and retry-after. RetryAfterSeconds defaults to 1.
	RateLimited       int `json:"rate_limited,omitempty"`
	TooMany           int `json:"too_many,omitempty"`
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`
	// Exhausted answers the next n with 403, x-ratelimit-remaining: 0 and
	// a reset ResetSeconds (default 1) ahead.
	Exhausted    int `json:"exhausted,omitempty"`
	ResetSeconds int `json:"reset_seconds,omitempty"`
	// SecondaryWritesPerMinute answers writes beyond that many within a
	// minute with GitHub's secondary rate limit (403 and retry-after).
	SecondaryWritesPerMinute int `json:"secondary_writes_per_minute,omitempty"`
	// ConcurrentWriter makes the next n ref updates find the branch moved
	// by a real commit of another author, made just before the update.
	ConcurrentWriter int `json:"concurrent_writer,omitempty"`
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// inject applies the faults to one request; it reports whether it answered.
func (s *Server) inject(w http.ResponseWriter, r *http.Request, route string) bool {
	s.mu.Lock()
	f := &s.faults
	now := s.opts.Now()
	match := f.Match == "" || strings.Contains(route, f.Match)
	latency := time.Duration(0)
	action := ""
	if match {
		latency = time.Duration(f.LatencyMS) * time.Millisecond
		switch {
		case f.Timeouts > 0:
			f.Timeouts--
			action = "timeout"
		case f.TimeoutRate > 0 && rand.Float64() < f.TimeoutRate: //nolint:gosec // fault injection
			action = "timeout"
		case f.Errors > 0:
			f.Errors--
			action = "5xx"
		case f.ErrorRate > 0 && rand.Float64() < f.ErrorRate: //nolint:gosec // fault injection
			action = "5xx"
		case f.RateLimited > 0:
			f.RateLimited--
			action = "403_retry_after"
		case f.TooMany > 0:
			f.TooMany--
			action = "429_retry_after"
		case f.Exhausted > 0:
			f.Exhausted--
			action = "403_exhausted"
		}
	}
	secondaryWait := time.Duration(0)
	if action == "" && f.SecondaryWritesPerMinute > 0 && isWrite(r.Method) {
		kept := s.window[:0]
		for _, t := range s.window {
			if now.Sub(t) < time.Minute {
				kept = append(kept, t)
			}
		}
		s.window = kept
		if len(s.window) >= f.SecondaryWritesPerMinute {
			action = "403_secondary"
			secondaryWait = time.Minute - now.Sub(s.window[0])
		} else {
			s.window = append(s.window, now)
		}
	}
	retryAfter := max(f.RetryAfterSeconds, 1)
	reset := max(f.ResetSeconds, 1)
	status := f.ErrorStatus
	if status == 0 {
		status = http.StatusBadGateway
	}
	if action != "" {
		s.stats.FaultsApplied[action]++
	}
	s.mu.Unlock()

	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return true
		case <-s.closing:
			return true
		}
	}
	switch action {
	case "":
		return false
	case "timeout":
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
	case "5xx":
		writeError(w, status, "Server Error")
	case "403_retry_after", "429_retry_after":
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		code := http.StatusForbidden
		if action == "429_retry_after" {
			code = http.StatusTooManyRequests
		}
		writeJSON(w, code, ghError{
			Message:          "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
			Status:           strconv.Itoa(code),
		})
	case "403_exhausted":
		w.Header().Set("X-Ratelimit-Remaining", "0")
		w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(now.Add(time.Duration(reset)*time.Second).Unix(), 10))
		writeJSON(w, http.StatusForbidden, ghError{
			Message:          "API rate limit exceeded for user ID 1.",
			DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit",
			Status:           "403",
		})
	case "403_secondary":
		w.Header().Set("Retry-After", strconv.Itoa(max(int(secondaryWait.Seconds()+0.999), 1)))
		writeJSON(w, http.StatusForbidden, ghError{
			Message:          "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
			Status:           "403",
		})
	}
	return true
}

// takeConcurrentWriter consumes one concurrent-writer fault for route.
func (s *Server) takeConcurrentWriter(route string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &s.faults
	if f.ConcurrentWriter <= 0 || (f.Match != "" && !strings.Contains(route, f.Match)) {
		return false
	}
	f.ConcurrentWriter--
	s.stats.FaultsApplied["concurrent_writer"]++
	return true
}

// rateHeaders sets GitHub's rate-limit headers and spends one request of the
// hour's budget; it reports whether the budget was already spent.
func (s *Server) rateHeaders(w http.ResponseWriter) bool {
	s.mu.Lock()
	now := s.opts.Now()
	if s.hour.IsZero() || now.Sub(s.hour) >= time.Hour {
		s.hour, s.used = now, 0
	}
	s.used++
	used, limit, reset := s.used, s.opts.RateLimit, s.hour.Add(time.Hour).Unix()
	s.mu.Unlock()
	h := w.Header()
	h.Set("X-Ratelimit-Limit", strconv.Itoa(limit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(max(limit-used, 0)))
	h.Set("X-Ratelimit-Used", strconv.Itoa(used))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(reset, 10))
	h.Set("X-Ratelimit-Resource", "core")
	return used > limit
}
