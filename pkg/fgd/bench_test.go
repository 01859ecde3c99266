package fgd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/githedgehog/hnp-gitops/pkg/crdschema"
)

// benchTree is an FGD with n custom resources in raw/, 1,000 per file, shaped
// like the user's prepop.yaml (switches, servers, connections, VPCs).
func benchTree(n int) tree {
	tr := tree{}
	var b strings.Builder
	file := 0
	for i := 0; i < n; i++ {
		b.WriteString("---\n")
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata:\n  name: leaf-%05d\nspec:\n  boot:\n    mac: 0c:20:12:ff:%02x:00\n  description: VS-%d MCLAG 1\n  ecmp: {}\n  groups:\n  - mclag-1\n  profile: vs\n  redundancy:\n    group: mclag-1\n    type: mclag\n  role: server-leaf\n", i, i%256, i)
		case 1:
			fmt.Fprintf(&b, "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Server\nmetadata:\n  name: server-%05d\nspec:\n  description: S-%d\n", i, i)
		case 2:
			fmt.Fprintf(&b, "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Connection\nmetadata:\n  name: server-%05d--mclag--leaf-01--leaf-02\nspec:\n  mclag:\n    links:\n    - server:\n        port: server-%05d/enp2s1\n      switch:\n        port: leaf-01/E1/5\n    - server:\n        port: server-%05d/enp2s2\n      switch:\n        port: leaf-02/E1/5\n", i, i, i)
		case 3:
			fmt.Fprintf(&b, "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-%05d\n  namespace: default\nspec:\n  subnets:\n    default:\n      subnet: 10.%d.%d.0/24\n      gateway: 10.%d.%d.1\n      vlan: %d\n", i, i/256%256, i%256, i/256%256, i%256, 1000+i%3000)
		}
		if (i+1)%1000 == 0 || i == n-1 {
			tr[fmt.Sprintf("raw/dump-%02d.yaml", file)] = []byte(b.String())
			b.Reset()
			file++
		}
	}
	return tr
}

func BenchmarkCompute10k(b *testing.B) {
	tr := benchTree(10000)
	s := tr.snapshot(b)
	st := defaultSettings()
	b.SetBytes(treeBytes(tr))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Compute(s, st)
		if err != nil {
			b.Fatal(err)
		}
		if c := res.Counts(); c[PlacementManaged] != 10000 {
			b.Fatalf("counts %v", c)
		}
	}
}

// BenchmarkCompute10kValidated is BenchmarkCompute10k with every CR
// checked against the built-in Hedgehog CRD schemas (pkg/crdschema).
func BenchmarkCompute10kValidated(b *testing.B) {
	tr := benchTree(10000)
	s := tr.snapshot(b)
	st := defaultSettings()
	schemas, err := crdschema.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	st.Schemas = schemas
	b.SetBytes(treeBytes(tr))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Compute(s, st)
		if err != nil {
			b.Fatal(err)
		}
		if c := res.Counts(); c[PlacementManaged] != 10000 {
			b.Fatalf("counts %v: %v", c, res.SchemaProblems()[:1])
		}
	}
}

// BenchmarkBaselineDecodeEncode10k only decodes every document of the same
// files into the YAML library's node tree and encodes it again: the floor
// any engine on this library pays.
func BenchmarkBaselineDecodeEncode10k(b *testing.B) {
	tr := benchTree(10000)
	b.SetBytes(treeBytes(tr))
	b.ReportAllocs()
	for b.Loop() {
		decodeEncode(b, tr)
	}
}

// decodeEncode decodes every document of tr into yaml.v3 nodes and encodes
// it again.
func decodeEncode(b *testing.B, tr tree) {
	n := 0
	for _, content := range tr {
		dec := yaml.NewDecoder(bytes.NewReader(content))
		for {
			var node yaml.Node
			if err := dec.Decode(&node); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			var out bytes.Buffer
			enc := yaml.NewEncoder(&out)
			enc.SetIndent(2)
			if err := enc.Encode(&node); err != nil {
				b.Fatal(err)
			}
			if err := enc.Close(); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	if n != 10000 {
		b.Fatalf("decoded %d documents", n)
	}
}

// BenchmarkCompute10kAlternated runs the engine alone, the engine with the
// built-in schemas and the decode+encode baseline one after the other,
// three rounds per iteration, so that a shared, noisy machine loads all
// three alike. It reports the median round of each and the median of the
// rounds' cost of the schema check as a multiple of the baseline (the
// target: at most 1.5).
func BenchmarkCompute10kAlternated(b *testing.B) {
	tr := benchTree(10000)
	s := tr.snapshot(b)
	plain := defaultSettings()
	checked := defaultSettings()
	schemas, err := crdschema.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	checked.Schemas = schemas
	run := func(st Settings) float64 {
		start := time.Now()
		res, err := Compute(s, st)
		if err != nil {
			b.Fatal(err)
		}
		if c := res.Counts(); c[PlacementManaged] != 10000 {
			b.Fatalf("counts %v", c)
		}
		return float64(time.Since(start).Microseconds()) / 1000
	}
	var engine, validated, baseline, ratio []float64
	for b.Loop() {
		for range 3 {
			e, v := run(plain), run(checked)
			start := time.Now()
			decodeEncode(b, tr)
			d := float64(time.Since(start).Microseconds()) / 1000
			engine, validated, baseline = append(engine, e), append(validated, v), append(baseline, d)
			ratio = append(ratio, (v-e)/d)
		}
	}
	b.ReportMetric(median(engine), "engine-ms")
	b.ReportMetric(median(validated), "validated-ms")
	b.ReportMetric(median(baseline), "baseline-ms")
	b.ReportMetric(median(ratio), "added/baseline")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func treeBytes(tr tree) int64 {
	n := 0
	for _, c := range tr {
		n += len(c)
	}
	return int64(n)
}
