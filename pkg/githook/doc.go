// Package githook reads the push webhooks of git hosts: GitHub (and GitHub
// Enterprise Server), GitLab, and Gitea/Forgejo. It tells which host sent a
// delivery from its headers, verifies the delivery's secret in constant time
// (GitHub's X-Hub-Signature-256 and Gitea's X-Gitea-Signature, HMAC-SHA256
// over the exact body; GitLab's X-Gitlab-Token, the secret itself), and
// parses a push event into one Push: the repository's URLs in every form the
// payload gives, the branch, the paths the pushed commits touched, whether
// that list is complete, and each commit's message and author.
//
// Verify before Parse: Parse trusts nothing, but a body is only worth
// reading once its sender is known.
//
// It is importable by anyone: it must not depend on this service's
// configuration, logging, metrics or network code. It never logs and never
// includes a secret, a signature or a body in an error.
package githook
