package netbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// UnmarshalJSON reads a fabric in every form the plugin serves:
// git_repository as an integer id, a nested {id, ...} object or null, and
// archive_strategy as a plain value or a {value, label} choice.
func (f *Fabric) UnmarshalJSON(b []byte) error {
	type plain Fabric // no methods: no recursion
	var aux struct {
		*plain
		GitRepository   json.RawMessage `json:"git_repository"`
		ArchiveStrategy json.RawMessage `json:"archive_strategy"`
	}
	aux.plain = (*plain)(f)
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	id, err := foreignKeyID(aux.GitRepository)
	if err != nil {
		return fmt.Errorf("git_repository: %w", err)
	}
	f.GitRepositoryID = id
	if f.ArchiveStrategy, err = choiceValue(aux.ArchiveStrategy); err != nil {
		return fmt.Errorf("archive_strategy: %w", err)
	}
	return nil
}

// UnmarshalJSON reads provider and authentication_type as plain values or
// {value, label} choices.
func (r *GitRepository) UnmarshalJSON(b []byte) error {
	type plain GitRepository
	var aux struct {
		*plain
		Provider           json.RawMessage `json:"provider"`
		AuthenticationType json.RawMessage `json:"authentication_type"`
	}
	aux.plain = (*plain)(r)
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	var err error
	if r.Provider, err = choiceValue(aux.Provider); err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	if r.AuthenticationType, err = choiceValue(aux.AuthenticationType); err != nil {
		return fmt.Errorf("authentication_type: %w", err)
	}
	return nil
}

// foreignKeyID reads a foreign key given as an integer, a numeric string, a
// nested object with "id", or null/absent (0).
func foreignKeyID(raw json.RawMessage) (int64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, nil
	}
	switch raw[0] {
	case '{':
		var nested struct {
			ID json.RawMessage `json:"id"`
		}
		if err := json.Unmarshal(raw, &nested); err != nil {
			return 0, err
		}
		return foreignKeyID(nested.ID)
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		return strconv.ParseInt(s, 10, 64)
	}
	var id int64
	if err := json.Unmarshal(raw, &id); err != nil {
		return 0, fmt.Errorf("want an id or a nested object, got %s", truncate(raw))
	}
	return id, nil
}

// choiceValue reads a choice written as a plain value or read back as
// {"value": ..., "label": ...}; null or absent is "".
func choiceValue(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	if raw[0] == '{' {
		var c struct {
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return "", err
		}
		return choiceValue(c.Value)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("want a string or a {value, label} choice, got %s", truncate(raw))
	}
	return s, nil
}

func truncate(b []byte) string {
	const n = 40
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
