package netbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/githedgehog/hnp-gitops/test/netboxsim"
)

func startSim(t *testing.T, o netboxsim.Options) (*netboxsim.Server, *Client) {
	t.Helper()
	o.Token = testToken
	sim, err := netboxsim.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	c, err := New(Options{BaseURL: sim.URL(), Token: testToken, RetryMax: 3,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

func TestEmulatorReads(t *testing.T) {
	t.Parallel()
	for _, nested := range []bool{false, true} {
		sim, c := startSim(t, netboxsim.Options{NestedForeignKeys: nested})
		ctx := context.Background()
		repo, err := sim.CreateRepository(netboxsim.Repository{Name: "r", URL: "https://github.com/o/r.git", Provider: "github", PushBranch: "gitops"})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if _, err := sim.CreateFabricDirect(netboxsim.Fabric{Name: "f" + string(rune('a'+i)), GitRepository: repo.ID, ArchiveStrategy: "move_to_archive_dir"}); err != nil {
				t.Fatal(err)
			}
		}
		list, err := c.ListFabrics(ctx, url.Values{"limit": {"2"}}) // two pages
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 {
			t.Fatalf("nested %v: %d fabrics", nested, len(list))
		}
		for _, f := range list {
			if f.GitRepositoryID != repo.ID || f.ArchiveStrategy != "move_to_archive_dir" {
				t.Errorf("nested %v: fabric %+v", nested, f)
			}
		}
		r, err := c.GetGitRepository(ctx, list[0].GitRepositoryID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Provider != "github" || r.Branch() != "gitops" {
			t.Errorf("repository %+v", r)
		}
		if _, err := c.GetFabric(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing fabric: %v", err)
		}
	}
}

// TestEmulatorOwnWriteRequestID checks that the X-Request-ID returned by a
// custom-field write is the request id of the webhook that write causes.
func TestEmulatorOwnWriteRequestID(t *testing.T) {
	t.Parallel()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	t.Cleanup(receiver.Close)
	sim, c := startSim(t, netboxsim.Options{Version: "4.6"})
	if err := sim.SetupStatusFields(); err != nil {
		t.Fatal(err)
	}
	f, err := sim.CreateFabricDirect(netboxsim.Fabric{Name: "f"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sim.AddWebhook(receiver.URL, "s"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, err := c.UpdateFabricCustomFields(ctx, f.ID, map[string]any{
		"gitops_directory_status": "initialized",
		"last_directory_sync":     FormatTime(time.Now()),
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := sim.WaitDeliveriesFor(10*time.Second, 1)
	if err != nil {
		t.Fatal(err)
	}
	if id == "" || ds[0].RequestID != id || ds[0].Event != "updated" {
		t.Errorf("write request id %q, delivery %+v", id, ds[0])
	}
	got, _ := sim.Fabric(f.ID)
	if got.CustomFields["gitops_directory_status"] != "initialized" {
		t.Errorf("custom fields %v", got.CustomFields)
	}
	// Unknown custom fields are a readable 400.
	_, err = c.UpdateFabricCustomFields(ctx, f.ID, map[string]any{"bogus": 1})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, ErrInvalid) || len(apiErr.Fields) == 0 {
		t.Errorf("unknown field: %v", err)
	}
}

func TestEmulatorFaults(t *testing.T) {
	t.Parallel()
	sim, c := startSim(t, netboxsim.Options{})
	f, err := sim.CreateFabricDirect(netboxsim.Fabric{Name: "f"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sim.SetFaults(netboxsim.Faults{Routes: map[netboxsim.Route]netboxsim.RouteFault{netboxsim.RouteFabricGet: {Errors: 2}}})
	if _, err := c.GetFabric(ctx, f.ID); err != nil {
		t.Errorf("two 500s then success: %v", err)
	}
	sim.SetFaults(netboxsim.Faults{Routes: map[netboxsim.Route]netboxsim.RouteFault{netboxsim.RouteFabricGet: {Errors: 10, ErrorStatus: 503}}})
	_, err = c.GetFabric(ctx, f.ID)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !apiErr.Temporary() || apiErr.StatusCode != 503 {
		t.Errorf("persistent 503: %v", err)
	}
	sim.SetFaults(netboxsim.Faults{})
	sim.SetDown(true)
	_, err = c.Status(ctx)
	if err == nil || errors.As(err, &apiErr) {
		t.Errorf("down: %v, want a transport error", err)
	}
}

// Changes reads the change log at core/ (NetBox 4.1+) and, on NetBox 4.0,
// at extras/: a user's edit is a change, the service's status write is
// status-only.
func TestEmulatorChangeLog(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"4.0", "4.3"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			sim, c := startSim(t, netboxsim.Options{Version: version})
			if err := sim.SetupStatusFields(); err != nil {
				t.Fatal(err)
			}
			since := time.Now().Add(-time.Minute)
			f, err := sim.CreateFabric(netboxsim.Fabric{Name: "f"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sim.UpdateFabric(f.ID, map[string]any{"description": "edited"}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.UpdateFabricCustomFields(context.Background(), f.ID, map[string]any{"gitops_directory_status": "initialized"}); err != nil {
				t.Fatal(err)
			}
			if err := c.ProbeChangeLog(context.Background()); err != nil {
				t.Fatalf("ProbeChangeLog: %v", err)
			}
			changes, err := Fabrics{Client: c}.Changes(context.Background(), since)
			if err != nil {
				t.Fatal(err)
			}
			var edits, own int
			for _, ch := range changes {
				switch {
				case ch.ID != f.ID:
				case ch.StatusOnly:
					own++
				default:
					edits++
				}
			}
			if edits != 2 || own != 1 {
				t.Errorf("change log: %d edits, %d status-only; want 2 (create, edit) and 1: %+v", edits, own, changes)
			}
			if legacy := c.legacyChanges.Load(); legacy != (version == "4.0") {
				t.Errorf("read at extras/: %v on NetBox %s", legacy, version)
			}
		})
	}
}

// The resync lists fabrics and repositories in pages of 1000 (NetBox's
// MAX_PAGE_SIZE default), following next: 2,500 fabrics are three pages,
// 1,001 repositories two, and each repository keeps its branch.
func TestEmulatorListsInLargePages(t *testing.T) {
	t.Parallel()
	sim, c := startSim(t, netboxsim.Options{})
	ctx := context.Background()
	for i := range 1001 {
		r := netboxsim.Repository{Name: fmt.Sprintf("r%04d", i), URL: fmt.Sprintf("https://github.com/o/r%04d.git", i)}
		if i == 1000 {
			r.PushBranch = "gitops"
		}
		if _, err := sim.CreateRepository(r); err != nil {
			t.Fatal(err)
		}
	}
	in := make([]netboxsim.Fabric, 2500)
	for i := range in {
		in[i] = netboxsim.Fabric{Name: fmt.Sprintf("f%04d", i), GitRepository: 1}
	}
	if _, err := sim.CreateFabricsDirect(in); err != nil {
		t.Fatal(err)
	}
	store := Fabrics{Client: c}
	repos, err := store.Repositories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fabrics, err := store.Fabrics(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 1001 || len(fabrics) != 2500 {
		t.Fatalf("%d repositories, %d fabrics; want 1001, 2500", len(repos), len(fabrics))
	}
	if last := repos[1000]; last.Branch != "gitops" || last.URL != "https://github.com/o/r1000.git" || repos[0].Branch != "main" {
		t.Errorf("repositories %+v ... %+v", repos[0], last)
	}
	got := sim.Stats().Requests
	if got["GET /api/plugins/hedgehog/git-repos-api/"] != 2 || got["GET /api/plugins/hedgehog/fabrics/"] != 3 {
		t.Errorf("list requests %v, want 2 repository pages and 3 fabric pages", got)
	}
}
