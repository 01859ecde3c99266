package fgd

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxDirBytes is the longest gitops_directory CheckDir accepts.
const MaxDirBytes = 500

// ErrInvalidDir is matched (errors.Is) by every *DirError.
var ErrInvalidDir = errors.New("invalid gitops directory")

// DirError is a gitops_directory that CheckDir rejected. Reason is one line,
// fit for the fabric's directory_init_error field.
type DirError struct {
	Dir    string
	Reason string
}

func (e *DirError) Error() string {
	return fmt.Sprintf("fgd: invalid gitops directory %q: %s", e.Dir, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidDir) true.
func (e *DirError) Is(target error) bool { return target == ErrInvalidDir }

// CheckDir validates a fabric's gitops_directory and returns the FGD path in
// the repository: leading and trailing slashes stripped, "" for the
// repository root. Anything that could leave the FGD or confuse a git host
// is rejected before anything is read or written.
func CheckDir(dir string) (string, error) {
	bad := func(reason string) (string, error) {
		return "", &DirError{Dir: dir, Reason: reason}
	}
	if len(dir) > MaxDirBytes {
		return bad(fmt.Sprintf("longer than %d bytes", MaxDirBytes))
	}
	if !utf8.ValidString(dir) {
		return bad("not valid UTF-8")
	}
	for _, r := range dir {
		switch {
		case r == '\\':
			return bad("contains a backslash")
		case unicode.IsControl(r):
			return bad("contains a NUL or control character")
		case unicode.Is(unicode.Cf, r):
			// Bidirectional overrides and zero-width characters make a
			// path read differently from what it is.
			return bad(fmt.Sprintf("contains the invisible format character %U", r))
		}
	}
	d := strings.Trim(dir, "/")
	if d == "" {
		return "", nil
	}
	if len(d) >= 2 && d[1] == ':' && isASCIILetter(d[0]) {
		return bad("starts with a drive letter")
	}
	for _, seg := range strings.Split(d, "/") {
		switch {
		case seg == "":
			return bad("contains an empty path segment (//)")
		case seg == "." || seg == "..":
			return bad(`contains a "." or ".." segment`)
		case strings.HasPrefix(seg, ".git"):
			return bad(fmt.Sprintf("segment %q starts with .git", seg))
		case strings.TrimSpace(seg) != seg:
			return bad(fmt.Sprintf("segment %q starts or ends with white space", seg))
		}
	}
	return d, nil
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
