package netbox

import (
	"context"
	"net/url"
	"strconv"

	"github.com/githedgehog/hnp-gitops/internal/fabric"
	"github.com/githedgehog/hnp-gitops/internal/status"
)

// Fabrics is the NetBox adapter of the core's fabric store: it reads
// fabrics and repositories as internal/fabric types and writes the status
// custom fields. Its errors match fabric's kinds with errors.Is.
type Fabrics struct{ Client *Client }

// Fabric reads one fabric.
func (s Fabrics) Fabric(ctx context.Context, id int64) (fabric.Fabric, error) {
	f, err := s.Client.GetFabric(ctx, id)
	if err != nil {
		return fabric.Fabric{}, err
	}
	return f.Core(), nil
}

// Repository reads one git repository.
func (s Fabrics) Repository(ctx context.Context, id int64) (fabric.Repository, error) {
	r, err := s.Client.GetGitRepository(ctx, id)
	if err != nil {
		return fabric.Repository{}, err
	}
	return fabric.Repository{ID: r.ID, Name: r.Name, URL: r.URL, Branch: r.Branch()}, nil
}

// Repositories lists every git repository, in pages of the largest size
// NetBox serves.
func (s Fabrics) Repositories(ctx context.Context) ([]fabric.Repository, error) {
	list, err := s.Client.ListGitRepositories(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]fabric.Repository, 0, len(list))
	for _, r := range list {
		out = append(out, fabric.Repository{ID: r.ID, Name: r.Name, URL: r.URL, Branch: r.Branch()})
	}
	return out, nil
}

// Fabrics lists every fabric, or with repositoryID > 0 the fabrics of
// that repository (filtered by NetBox and checked again here, against a
// filter NetBox ignores).
func (s Fabrics) Fabrics(ctx context.Context, repositoryID int64) ([]fabric.Fabric, error) {
	var filter url.Values
	if repositoryID > 0 {
		filter = url.Values{"git_repository_id": {strconv.FormatInt(repositoryID, 10)}}
	}
	var out []fabric.Fabric
	err := s.Client.EachFabric(ctx, filter, func(f *Fabric) error {
		if repositoryID == 0 || f.GitRepositoryID == repositoryID {
			out = append(out, f.Core())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WriteStatus writes status custom fields in one PATCH and returns NetBox's
// request id of the write.
func (s Fabrics) WriteStatus(ctx context.Context, id int64, fields map[string]string) (requestID string, err error) {
	patch := make(map[string]any, len(fields))
	for k, v := range fields {
		patch[k] = v
	}
	return s.Client.UpdateFabricCustomFields(ctx, id, patch)
}

// Core is the fabric as the core sees it.
func (f *Fabric) Core() fabric.Fabric {
	st := make(map[string]string, len(status.Fields))
	for _, name := range status.Fields {
		st[name] = f.CustomFieldString(name)
	}
	return fabric.Fabric{
		ID: f.ID, Name: f.Name, RepositoryID: f.GitRepositoryID,
		Directory: f.GitOpsDirectory, ArchiveStrategy: f.ArchiveStrategy, Status: st,
	}
}
