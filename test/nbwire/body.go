package nbwire

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/githedgehog/hnp-gitops/pkg/netboxhook"
)

// Form is the payload layout of a range of NetBox versions (see Body).
type Form int

// The payload forms. Their keys, in the order NetBox writes them:
const (
	// Form40 (4.0 to 4.3): event, timestamp, model, username, request_id,
	// data, snapshots.
	Form40 Form = iota
	// Form44 (4.4): event, timestamp, object_type, model, username,
	// request_id, data, snapshots.
	Form44
	// Form45 (4.5): event, timestamp, object_type, username, request_id,
	// data, snapshots.
	Form45
	// Form46 (4.6): event, timestamp, object_type, username, request_id
	// (both deprecated), request{id, method, path, user}, data, snapshots.
	Form46
	// Form47 (4.7): event, timestamp, object_type, request{id, method,
	// path, user}, data, snapshots.
	Form47
)

// Forms lists every form, oldest first.
var Forms = []Form{Form40, Form44, Form45, Form46, Form47}

// String names the first NetBox version of the form.
func (f Form) String() string {
	switch f {
	case Form40:
		return "4.0"
	case Form44:
		return "4.4"
	case Form45:
		return "4.5"
	case Form46:
		return "4.6"
	case Form47:
		return "4.7"
	}
	return "Form(" + strconv.Itoa(int(f)) + ")"
}

// FormOf returns the form NetBox version ("4.2", "4.6.1", "v4.7-beta1")
// sends.
func FormOf(version string) (Form, error) {
	v := strings.TrimPrefix(version, "v")
	major, rest, _ := strings.Cut(v, ".")
	minorText, _, _ := strings.Cut(rest, ".")
	minorText, _, _ = strings.Cut(minorText, "-")
	minor, err := strconv.Atoi(minorText)
	if major != "4" || err != nil || minor < 0 {
		return 0, fmt.Errorf("netboxhook: NetBox version %q: want 4.0 to 4.7", version)
	}
	switch {
	case minor <= 3:
		return Form40, nil
	case minor == 4:
		return Form44, nil
	case minor == 5:
		return Form45, nil
	case minor == 6:
		return Form46, nil
	}
	return Form47, nil
}

// Body renders ev as the default webhook body of form f, byte for byte as
// NetBox's json.dumps writes it (see PythonJSON; keys inside data and the
// snapshots come out sorted because they are Go maps). ev.ObjectType is
// required from Form44 on, ev.Model (or an ObjectType to take it from)
// before; ev.Data must hold the object's id. Snapshots are written when
// either is non-nil, as NetBox does for object events.
func Body(f Form, ev *netboxhook.Event) ([]byte, error) {
	if ev == nil || ev.Event == "" || ev.Data == nil {
		return nil, errors.New("nbwire: body: event and data are required")
	}
	model := ev.Model
	if model == "" && ev.ObjectType != "" {
		model = ev.ObjectType[strings.LastIndexByte(ev.ObjectType, '.')+1:]
	}
	if f >= Form44 && ev.ObjectType == "" {
		return nil, fmt.Errorf("nbwire: body: form %s needs ObjectType", f)
	}
	if f <= Form44 && model == "" {
		return nil, fmt.Errorf("nbwire: body: form %s needs Model", f)
	}
	o := Object{{"event", ev.Event}, {"timestamp", ISOTime(ev.Timestamp)}}
	if f >= Form44 {
		o = append(o, Field{"object_type", ev.ObjectType})
	}
	if f <= Form44 {
		o = append(o, Field{"model", model})
	}
	if f <= Form46 {
		o = append(o, Field{"username", ev.Username}, Field{"request_id", nullable(ev.RequestID)})
	}
	if f >= Form46 {
		o = append(o, Field{"request", Object{
			{"id", nullable(ev.RequestID)},
			{"method", nullable(ev.RequestMethod)},
			{"path", nullable(ev.RequestPath)},
			{"user", nullable(ev.Username)},
		}})
	}
	o = append(o, Field{"data", ev.Data})
	if ev.Prechange != nil || ev.Postchange != nil {
		o = append(o, Field{"snapshots", Object{
			{"prechange", nullableMap(ev.Prechange)},
			{"postchange", nullableMap(ev.Postchange)},
		}})
	}
	return PythonJSON(o)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullableMap(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}
