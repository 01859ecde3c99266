package cli

import (
	"fmt"
	"os"

	"github.com/githedgehog/hnp-gitops/pkg/crdschema"
)

// loadSchemas returns the CRD schemas every managed custom resource is
// checked against: the folder dir when set, else the built-in Hedgehog
// CRDs. A folder that cannot be read, holds no CRD or uses a schema keyword
// the checker does not implement is a usage error: the service must not
// start checking less than it was told to.
func loadSchemas(dir string) (*crdschema.Set, error) {
	if dir == "" {
		s, err := crdschema.Builtin()
		if err != nil {
			return nil, fmt.Errorf("built-in CRD schemas: %w", err)
		}
		return s, nil
	}
	s, err := crdschema.Load(os.DirFS(dir), dir)
	if err != nil {
		return nil, usageError{fmt.Errorf("--crd-dir: %w", err)}
	}
	return s, nil
}
