package deploytest

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDockerfile checks the image against what the chart and the code
// expect. No Docker engine is needed: the file is read, not built.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	df := string(readFile(t, repoRoot+"/Dockerfile"))

	var values struct {
		ContainerPorts struct {
			HTTP    int `yaml:"http"`
			Metrics int `yaml:"metrics"`
		} `yaml:"containerPorts"`
		PodSecurityContext struct {
			RunAsUser  int `yaml:"runAsUser"`
			RunAsGroup int `yaml:"runAsGroup"`
		} `yaml:"podSecurityContext"`
	}
	if err := yaml.Unmarshal(readFile(t, chartDir+"/values.yaml"), &values); err != nil {
		t.Fatal(err)
	}

	goMod := string(readFile(t, repoRoot+"/go.mod"))
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(goMod)
	if goVersion == nil {
		t.Fatal("go.mod has no go directive")
	}

	checks := []struct {
		name string
		re   string
	}{
		{"builder on the go.mod Go version", `(?m)^ARG GO_VERSION=` + regexp.QuoteMeta(goVersion[1]) + `$`},
		{"golang builder", `(?m)^FROM .*golang:\$\{GO_VERSION\} AS build$`},
		{"static build", `CGO_ENABLED=0`},
		{"trimmed paths", `go build -trimpath`},
		{"version stamped", `-X github.com/githedgehog/hnp-gitops/internal/cli.Version=\$\{VERSION\}`},
		{"commit stamped", `-X github.com/githedgehog/hnp-gitops/internal/cli.Commit=\$\{COMMIT\}`},
		{"distroless nonroot runtime", `(?m)^FROM gcr.io/distroless/static-debian12:nonroot$`},
		{"user of the chart", `(?m)^USER ` + strconv.Itoa(values.PodSecurityContext.RunAsUser) + `:` + strconv.Itoa(values.PodSecurityContext.RunAsGroup) + `$`},
		{"ports of the chart", `(?m)^EXPOSE ` + strconv.Itoa(values.ContainerPorts.HTTP) + ` ` + strconv.Itoa(values.ContainerPorts.Metrics) + `$`},
		{"entrypoint", `(?m)^ENTRYPOINT \["/hnp-gitops"\]$`},
		{"serve by default", `(?m)^CMD \["serve"\]$`},
		{"OCI source label", `org.opencontainers.image.source=`},
		{"OCI revision label", `org.opencontainers.image.revision="\$\{COMMIT\}"`},
	}
	for _, c := range checks {
		if !regexp.MustCompile(c.re).MatchString(df) {
			t.Errorf("Dockerfile: %s: no line matches %s", c.name, c.re)
		}
	}

	// The build target exists and the ldflags agree with the Makefile's.
	m := regexp.MustCompile(`-o /out/hnp-gitops (\./\S+)`).FindStringSubmatch(df)
	if m == nil {
		t.Fatal("Dockerfile: no go build -o /out/hnp-gitops <package>")
	}
	if _, err := os.Stat(repoRoot + "/" + strings.TrimPrefix(m[1], "./")); err != nil {
		t.Errorf("Dockerfile builds %s: %v", m[1], err)
	}
	mk := string(readFile(t, repoRoot+"/Makefile"))
	for _, x := range regexp.MustCompile(`-X (\S+)=`).FindAllStringSubmatch(mk, -1) {
		if !strings.Contains(df, "-X "+x[1]+"=") {
			t.Errorf("the Makefile stamps %s, the Dockerfile does not", x[1])
		}
	}
}
