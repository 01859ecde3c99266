// Package testkit holds the helpers that several packages' tests share:
// the shared acceptance fixtures, the real engine as a gitport.PlanFunc,
// the git binary run with a clean environment (clone, log, blob checks),
// a githubsim emulator with one repository, and a concurrency-safe buffer.
//
// It is test support only: production code never imports it. It must not
// import internal/cli or test/harness (their tests would form an import
// cycle), nor start anything that outlives the test that asked for it.
// Every helper fails the test clearly (t.Fatal) when what it needs is
// missing, such as the git binary or the fixtures; none skips.
package testkit
