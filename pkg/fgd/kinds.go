package fgd

import "strings"

// The API groups whose kinds the engine manages (any version).
const (
	GroupVPC    = "vpc.githedgehog.com"
	GroupWiring = "wiring.githedgehog.com"
)

type groupKind struct{ group, kind string }

// kindFolders maps each managed kind to its folder under managed/. These
// are the folder names the HNP plugin's importer and UI use.
var kindFolders = map[groupKind]string{
	{GroupVPC, "VPC"}:                "vpcs",
	{GroupVPC, "VPCAttachment"}:      "vpcattachments",
	{GroupVPC, "VPCPeering"}:         "vpcpeerings",
	{GroupVPC, "IPv4Namespace"}:      "ipv4namespaces",
	{GroupVPC, "External"}:           "externals",
	{GroupVPC, "ExternalAttachment"}: "externalattachments",
	{GroupVPC, "ExternalPeering"}:    "externalpeerings",
	{GroupWiring, "Connection"}:      "connections",
	{GroupWiring, "Server"}:          "servers",
	{GroupWiring, "Switch"}:          "switches",
	{GroupWiring, "SwitchGroup"}:     "switchgroups",
	{GroupWiring, "VLANNamespace"}:   "vlannamespaces",
}

// KindFolders returns the 12 folders under managed/, sorted.
func KindFolders() []string {
	return append([]string(nil), sortedFolders...)
}

var sortedFolders = []string{
	"connections", "externalattachments", "externalpeerings", "externals",
	"ipv4namespaces", "servers", "switches", "switchgroups",
	"vlannamespaces", "vpcattachments", "vpcpeerings", "vpcs",
}

// FolderFor returns the managed/ folder of apiVersion and kind, or "" when
// the engine does not manage that kind.
func FolderFor(apiVersion, kind string) string {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	return kindFolders[groupKind{group, kind}]
}

// isHedgehogGroup reports whether apiVersion belongs to a Hedgehog API
// group (managed or not, e.g. dhcp.githedgehog.com).
func isHedgehogGroup(apiVersion string) bool {
	group, _, _ := strings.Cut(apiVersion, "/")
	return strings.HasSuffix(group, ".githedgehog.com")
}

// IsDNSSubdomain reports whether name is an RFC 1123 subdomain as Kubernetes
// checks object names: at most 253 bytes of dot-separated labels of lower-case
// alphanumerics and '-', each starting and ending alphanumeric. Such a name
// can never contain "/" or be "." or "..", so it is safe as a file name.
func IsDNSSubdomain(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
			if !alnum && (c != '-' || i == 0 || i == len(label)-1) {
				return false
			}
		}
	}
	return true
}
