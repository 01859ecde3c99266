package netboxsim

import (
	"time"

	"github.com/githedgehog/hnp-gitops/test/nbwire"
)

// The emulator writes JSON with the one encoder of test/nbwire.
type (
	object = nbwire.Object
	field  = nbwire.Field
)

func obj(kv ...any) object { return nbwire.Obj(kv...) }

func encodeJSON(v any, python bool) ([]byte, error) { return nbwire.Encode(v, python) }

// PythonJSON serializes v like Python's json.dumps (nbwire.PythonJSON).
func PythonJSON(v any) ([]byte, error) { return nbwire.PythonJSON(v) }

func pyISO(t time.Time) string      { return nbwire.ISOTime(t) }
func drfTime(t time.Time) string    { return nbwire.DRFTime(t) }
func djangoTime(t time.Time) string { return nbwire.DjangoTime(t) }
