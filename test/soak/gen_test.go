package soak

import (
	"fmt"
	"strings"
)

// The variants of a fabric's FGD before the service first sees it.
const (
	variantEmpty = "empty" // no FGD yet
	variantRaw   = "raw"   // YAML dropped into raw/
	variantFlat  = "flat"  // YAML flat in the FGD root, as HNP users keep it
)

// managedDoc is a Hedgehog CR the engine must place in managed/.
type managedDoc struct {
	Folder, Kind, Name, Marker string
}

// source is one generated file and what must become of it.
type source struct {
	Rel     string // relative to the FGD
	Content []byte
	// Whole: the file does not parse and must land byte for byte in
	// unmanaged/ (Marker is inside it).
	Whole  bool
	Marker string
	// Markers are those of the file's documents that are not CRs HNP
	// manages: each must be found once, in unmanaged/.
	Markers []string
	// LeftAlone: a root file the contract (docs/fgd.md §5) leaves where it
	// is, byte for byte: one without a managed CR, or one that does not
	// parse.
	LeftAlone bool
}

// fabricPlan is one fabric of a run: where it lives and what its sources
// hold.
type fabricPlan struct {
	Index   int
	Name    string
	Repo    int    // index of its repository
	Dir     string // FGD path in the repository, no slashes around
	Variant string
	Sources []source
	// Managed are the CRs expected under managed/.
	Managed []managedDoc
	ID      int64 // NetBox id once created
}

// planFabric generates the sources of fabric i: a wiring file (switch
// groups, switches, servers, connections), a VPC file with a ConfigMap mixed
// in, a file of ConfigMaps only, and a broken YAML file. Every document
// carries a marker unique in the whole run, so that the check can find it
// wherever the engine put it.
func planFabric(i, repos int, variant string) *fabricPlan {
	f := &fabricPlan{
		Index: i, Name: fmt.Sprintf("soak-fabric-%03d", i), Repo: i % repos,
		Dir: fmt.Sprintf("gitops/hedgehog/fabric-%03d", i), Variant: variant,
	}
	if variant == variantEmpty {
		return f
	}
	prefix := ""
	if variant == variantRaw {
		prefix = "raw/"
	}
	n := 0
	marker := func() string { n++; return fmt.Sprintf("f%03d-d%03d", i, n) }
	var wiring strings.Builder
	doc := func(b *strings.Builder, kind, folder, name, body string) {
		m := marker()
		fmt.Fprintf(b, "---\napiVersion: wiring.githedgehog.com/v1beta1\nkind: %s\nmetadata:\n  name: %s\n  labels:\n    hnp-soak/marker: %s\n%s", kind, name, m, body)
		f.Managed = append(f.Managed, managedDoc{Folder: folder, Kind: kind, Name: name, Marker: m})
	}
	switches := 2 + i%3
	servers := 2 + i%7
	doc(&wiring, "SwitchGroup", "switchgroups", "mclag-1", "spec: {}\n")
	wiring.WriteString("#\n# SwitchList\n#\n")
	for s := 1; s <= switches; s++ {
		doc(&wiring, "Switch", "switches", fmt.Sprintf("leaf-%02d", s), fmt.Sprintf(
			"spec:\n  boot:\n    mac: 0c:20:12:%02x:%02x:00\n  description: soak fabric %d leaf %d\n  ecmp: {}\n  groups:\n  - mclag-1\n  profile: vs\n  redundancy:\n    group: mclag-1\n    type: mclag\n  role: server-leaf\n",
			i%256, s, i, s))
	}
	wiring.WriteString("#\n# ServerList\n#\n")
	for s := 1; s <= servers; s++ {
		doc(&wiring, "Server", "servers", fmt.Sprintf("server-%02d", s), fmt.Sprintf("spec:\n  description: S-%02d Unbundled leaf-%02d\n", s, 1+s%switches))
	}
	wiring.WriteString("#\n# ConnectionList\n#\n")
	for s := 1; s <= servers; s++ {
		leaf := 1 + s%switches
		doc(&wiring, "Connection", "connections", fmt.Sprintf("server-%02d--unbundled--leaf-%02d", s, leaf), fmt.Sprintf(
			"  namespace: default\nspec:\n  unbundled:\n    link:\n      server:\n        port: server-%02d/enp2s1\n      switch:\n        port: leaf-%02d/E1/%d\n", s, leaf, s))
	}
	f.Sources = append(f.Sources, source{Rel: prefix + "wiring.yaml", Content: []byte(wiring.String())})

	var vpcs strings.Builder
	for v := 1; v <= 1+i%3; v++ {
		m := marker()
		fmt.Fprintf(&vpcs, "---\napiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-%d\n  namespace: default\n  labels:\n    hnp-soak/marker: %s\nspec:\n  subnets:\n    default:\n      subnet: 10.%d.%d.0/24\n      gateway: 10.%d.%d.1\n      vlan: %d\n",
			v, m, i%250, v, i%250, v, 1000+v)
		f.Managed = append(f.Managed, managedDoc{Folder: "vpcs", Kind: "VPC", Name: fmt.Sprintf("vpc-%d", v), Marker: m})
	}
	m := marker()
	fmt.Fprintf(&vpcs, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vpc-notes\ndata:\n  marker: %s\n", m)
	f.Sources = append(f.Sources, source{Rel: prefix + "vpcs.yaml", Content: []byte(vpcs.String()), Markers: []string{m}})

	var cms strings.Builder
	var cmMarkers []string
	for c := 1; c <= 2; c++ {
		m := marker()
		fmt.Fprintf(&cms, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-%d\n  namespace: kube-system\ndata:\n  marker: %s\n  value: \"%d\"\n", c, m, c)
		cmMarkers = append(cmMarkers, m)
	}
	f.Sources = append(f.Sources, source{Rel: prefix + "configmaps.yaml", Content: []byte(cms.String()),
		Markers: cmMarkers, LeftAlone: variant == variantFlat})

	bm := fmt.Sprintf("f%03d-broken", i)
	f.Sources = append(f.Sources, source{
		Rel: prefix + "broken.yaml", Whole: true, Marker: bm, LeftAlone: variant == variantFlat,
		Content: fmt.Appendf(nil, "# %s: a hand edit gone wrong\napiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata: {name: leaf-99\nspec: [\n", bm),
	})
	return f
}

// docCount is the number of source documents (a broken file counts as one).
func (f *fabricPlan) docCount() int {
	n := len(f.Managed)
	for _, s := range f.Sources {
		n += len(s.Markers)
		if s.Whole {
			n++
		}
	}
	return n
}
