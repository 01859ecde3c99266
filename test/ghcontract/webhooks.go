package ghcontract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/getkin/kin-openapi/openapi3"
)

// WebhooksFile is GitHub's webhook payload description, cut to the push
// and ping events (testdata/README.md): OpenAPI 3.1, from the npm package
// @octokit/openapi-webhooks.
const WebhooksFile = "testdata/github-webhooks/push-ping.json"

// Webhooks validates webhook bodies against GitHub's description of them.
type Webhooks struct {
	doc *openapi3.T
}

// LoadWebhooks reads the webhook description from the module root.
func LoadWebhooks(moduleRoot string) (*Webhooks, error) {
	data, err := os.ReadFile(filepath.Join(moduleRoot, WebhooksFile))
	if err != nil {
		return nil, fmt.Errorf("ghcontract: GitHub's webhook description: %w", err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("ghcontract: load webhooks: %w", err)
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("ghcontract: the webhook description: %w", err)
	}
	return &Webhooks{doc: doc}, nil
}

// Events names the events the description holds.
func (w *Webhooks) Events() []string {
	var out []string
	for name := range w.doc.Webhooks {
		out = append(out, name)
	}
	return out
}

// Validate checks one delivery's body (as sent with X-GitHub-Event: event)
// against the event's payload schema, as JSON Schema 2020-12.
func (w *Webhooks) Validate(event string, body []byte) error {
	item, ok := w.doc.Webhooks[event]
	if !ok || item.Post == nil || item.Post.RequestBody == nil {
		return fmt.Errorf("ghcontract: no webhook %q in the description", event)
	}
	mt := item.Post.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return fmt.Errorf("ghcontract: webhook %q has no JSON body", event)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("ghcontract: webhook %q: body is not JSON: %w", event, err)
	}
	if err := mt.Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		return fmt.Errorf("ghcontract: webhook %q: %s", event, oneLine(err.Error()))
	}
	return nil
}
