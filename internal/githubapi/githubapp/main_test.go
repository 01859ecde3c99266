package githubapp_test

import (
	"testing"

	"github.com/githedgehog/hnp-gitops/test/testkit"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testKeys = testkit.RSAKeys
