{{/*
The chart name, or nameOverride.
*/}}
{{- define "hnp-gitops.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The full name of the release's resources: fullnameOverride, else
<release>-<name>, else <release> when it already contains the name.
*/}}
{{/*
hnp-gitops.suffixed is the full name with a suffix, the full name cut so
that the whole stays a valid 63-character name:
  include "hnp-gitops.suffixed" (list . "metrics")
*/}}
{{- define "hnp-gitops.suffixed" -}}
{{- $suffix := index . 1 -}}
{{- $full := include "hnp-gitops.fullname" (index . 0) | trunc (int (sub 62 (len $suffix))) | trimSuffix "-" -}}
{{- printf "%s-%s" $full $suffix -}}
{{- end -}}

{{- define "hnp-gitops.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "hnp-gitops.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels every resource carries.
*/}}
{{- define "hnp-gitops.labels" -}}
helm.sh/chart: {{ include "hnp-gitops.chart" . }}
{{ include "hnp-gitops.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hnp-gitops
{{- end -}}

{{/*
Labels that select the release's pods. They never change across upgrades.
*/}}
{{- define "hnp-gitops.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hnp-gitops.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
The ServiceAccount the pods run as.
*/}}
{{- define "hnp-gitops.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hnp-gitops.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The image reference: repository@digest, else repository:tag (tag defaults
to the chart's appVersion).
*/}}
{{- define "hnp-gitops.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/*
Where the secret files are mounted. The --*-file flags point here.
*/}}
{{- define "hnp-gitops.secretDir" -}}
/var/run/secrets/hnp-gitops
{{- end -}}

{{/*
hnp-gitops.flag renders one "--name=value" argument when value is set. A
string must be non-empty; a number or bool must be non-null. Call it with
(list "name" value).
*/}}
{{- define "hnp-gitops.flag" -}}
{{- $name := index . 0 -}}
{{- $value := index . 1 -}}
{{- if kindIs "string" $value -}}
{{- if ne $value "" }}
- {{ printf "--%s=%s" $name $value | quote }}
{{- end -}}
{{- else if not (kindIs "invalid" $value) }}
- {{ printf "--%s=%v" $name $value | quote }}
{{- end -}}
{{- end -}}

{{/*
The arguments of the container: `serve` and its flags, derived from the
values. Every flag here must exist in `hnp-gitops serve`; a test in
internal/deploytest checks it.
*/}}
{{- define "hnp-gitops.args" -}}
{{- $dir := include "hnp-gitops.secretDir" . -}}
{{- $v := .Values -}}
- serve
- {{ printf "--listen=:%v" $v.containerPorts.http | quote }}
- {{ printf "--metrics-listen=:%v" $v.containerPorts.metrics | quote }}
- {{ printf "--netbox-url=%s" (required "netbox.url is required" $v.netbox.url) | quote }}
- {{ printf "--netbox-token-file=%s/netbox-token" $dir | quote }}
{{- include "hnp-gitops.flag" (list "netbox-plugin-path" $v.netbox.pluginPath) }}
{{- include "hnp-gitops.flag" (list "netbox-fabrics-prefix" $v.netbox.fabricsPrefix) }}
{{- include "hnp-gitops.flag" (list "netbox-repos-prefix" $v.netbox.reposPrefix) }}
{{- include "hnp-gitops.flag" (list "netbox-timeout" $v.netbox.timeout) }}
{{- include "hnp-gitops.flag" (list "github-api-url" $v.github.apiURL) }}
{{- with $v.github.enterpriseHosts }}
- {{ printf "--github-enterprise-hosts=%s" (join "," .) | quote }}
{{- end }}
{{- if $v.github.existingSecret }}
- {{ printf "--github-token-file=%s/github-token" $dir | quote }}
{{- end }}
{{- if $v.github.tokenMap.existingSecret }}
- {{ printf "--github-token-map-file=%s/github-token-map" $dir | quote }}
{{- end }}
{{- include "hnp-gitops.flag" (list "github-timeout" $v.github.timeout) }}
{{- if $v.github.app.id }}
- {{ printf "--github-app-id=%s" $v.github.app.id | quote }}
- {{ printf "--github-app-private-key-file=%s/github-app-private-key" $dir | quote }}
{{- if $v.github.app.installationID }}
- {{ printf "--github-app-installation-id=%v" (int64 $v.github.app.installationID) | quote }}
{{- end }}
{{- end }}
{{- if $v.git.ssh.existingSecret }}
- {{ printf "--git-ssh-key-file=%s/git-ssh-key" $dir | quote }}
- {{ printf "--git-known-hosts-file=%s/git-known-hosts" $dir | quote }}
{{- end }}
{{- if $v.leaderElection.enabled }}
- "--leader-election=true"
- {{ printf "--leader-election-namespace=%s" $.Release.Namespace | quote }}
- {{ printf "--leader-election-lease-name=%s" $v.leaderElection.leaseName | quote }}
{{- end }}
{{- if $v.webhook.existingSecret }}
- {{ printf "--webhook-secret-file=%s/webhook-secret" $dir | quote }}
{{- end }}
{{- if $v.gitWebhook.existingSecret }}
- {{ printf "--git-webhook-secret-file=%s/git-webhook-secret" $dir | quote }}
{{- end }}
{{- if $v.gitWebhook.maxBodyBytes }}
- {{ printf "--git-webhook-max-body-bytes=%v" (int64 $v.gitWebhook.maxBodyBytes) | quote }}
{{- end }}
{{- if $v.webhook.insecureSkipSignature }}
- "--insecure-skip-signature=true"
{{- end }}
{{- if $v.api.existingSecret }}
- {{ printf "--api-token-file=%s/api-token" $dir | quote }}
{{- end }}
{{- include "hnp-gitops.flag" (list "workers" $v.reconcile.workers) }}
{{- include "hnp-gitops.flag" (list "batch-window" $v.reconcile.batchWindow) }}
{{- include "hnp-gitops.flag" (list "resync-interval" $v.reconcile.resyncInterval) }}
{{- include "hnp-gitops.flag" (list "full-resync-every" $v.reconcile.fullResyncEvery) }}
{{- include "hnp-gitops.flag" (list "retry-base-delay" $v.reconcile.retryBaseDelay) }}
{{- include "hnp-gitops.flag" (list "retry-max-delay" $v.reconcile.retryMaxDelay) }}
{{- include "hnp-gitops.flag" (list "max-commit-retries" $v.reconcile.maxCommitRetries) }}
{{- include "hnp-gitops.flag" (list "commit-author-name" $v.commit.authorName) }}
{{- include "hnp-gitops.flag" (list "commit-author-email" $v.commit.authorEmail) }}
{{- include "hnp-gitops.flag" (list "committer-name" $v.commit.committerName) }}
{{- include "hnp-gitops.flag" (list "committer-email" $v.commit.committerEmail) }}
{{- include "hnp-gitops.flag" (list "archive-strategy" $v.commit.archiveStrategy) }}
{{- if $v.crds.existingConfigMap }}
- "--crd-dir=/etc/hnp-gitops/crds"
{{- end }}
{{- include "hnp-gitops.flag" (list "pull-request-branch" $v.commit.pullRequestBranch) }}
{{- if $v.commit.createMissingBranch }}
- "--create-missing-branch=true"
{{- end }}
{{- include "hnp-gitops.flag" (list "log-level" $v.logLevel) }}
{{- include "hnp-gitops.flag" (list "service-url" (coalesce $v.serviceURL $v.publicURL)) }}
{{- include "hnp-gitops.flag" (list "shutdown-timeout" $v.shutdownTimeout) }}
{{- range $v.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/*
Validation that fails the render with a clear message.
*/}}
{{- define "hnp-gitops.validate" -}}
{{- if not .Values.netbox.existingSecret -}}
{{- fail "netbox.existingSecret is required: the name of a Secret holding the NetBox API token" -}}
{{- end -}}
{{- if and (not .Values.webhook.existingSecret) (not .Values.webhook.insecureSkipSignature) -}}
{{- fail "webhook.existingSecret is required (or webhook.insecureSkipSignature=true, for development only)" -}}
{{- end -}}
{{- if and (not .Values.github.existingSecret) (not .Values.github.tokenMap.existingSecret) (not .Values.github.app.id) -}}
{{- fail "github.existingSecret, github.tokenMap.existingSecret or github.app.id is required: hnp-gitops needs its own GitHub credentials" -}}
{{- end -}}
{{- if and .Values.podDisruptionBudget.enabled (not (kindIs "invalid" .Values.podDisruptionBudget.minAvailable)) (not (kindIs "invalid" .Values.podDisruptionBudget.maxUnavailable)) -}}
{{- fail "podDisruptionBudget: set minAvailable or maxUnavailable, not both" -}}
{{- end -}}
{{- end -}}

{{/*
The projected volume of every credential file, from existing Secrets; the
Deployment and the Helm test mount it at hnp-gitops.secretDir.
*/}}
{{- define "hnp-gitops.secretsVolume" -}}
# Every credential is a file from an existing Secret; the service
# reads them at start (restart the pods after rotating one).
- name: secrets
  projected:
    defaultMode: 0440
    sources:
      - secret:
          name: {{ .Values.netbox.existingSecret }}
          items:
            - key: {{ .Values.netbox.tokenKey }}
              path: netbox-token
      {{- if .Values.github.existingSecret }}
      - secret:
          name: {{ .Values.github.existingSecret }}
          items:
            - key: {{ .Values.github.tokenKey }}
              path: github-token
      {{- end }}
      {{- if .Values.github.tokenMap.existingSecret }}
      - secret:
          name: {{ .Values.github.tokenMap.existingSecret }}
          items:
            - key: {{ .Values.github.tokenMap.key }}
              path: github-token-map
      {{- end }}
      {{- if .Values.github.app.id }}
      - secret:
          name: {{ required "github.app.existingSecret is required with github.app.id" .Values.github.app.existingSecret }}
          items:
            - key: {{ .Values.github.app.privateKeyKey }}
              path: github-app-private-key
      {{- end }}
      {{- with .Values.git.ssh }}
      {{- if .existingSecret }}
      - secret:
          name: {{ .existingSecret }}
          items:
            - key: {{ .privateKeyKey }}
              path: git-ssh-key
            - key: {{ .knownHostsKey }}
              path: git-known-hosts
      {{- end }}
      {{- end }}
      {{- if .Values.webhook.existingSecret }}
      - secret:
          name: {{ .Values.webhook.existingSecret }}
          items:
            - key: {{ .Values.webhook.secretKey }}
              path: webhook-secret
      {{- end }}
      {{- if .Values.gitWebhook.existingSecret }}
      - secret:
          name: {{ .Values.gitWebhook.existingSecret }}
          items:
            - key: {{ .Values.gitWebhook.secretKey }}
              path: git-webhook-secret
      {{- end }}
      {{- if .Values.api.existingSecret }}
      - secret:
          name: {{ .Values.api.existingSecret }}
          items:
            - key: {{ .Values.api.tokenKey }}
              path: api-token
      {{- end }}
{{- end }}
