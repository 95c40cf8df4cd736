// Package tap writes Test Anything Protocol (version 13) streams.
//
// berth's conformance runner (tests/conformance/runtime-tools.sh) builds the OCI
// runtime-tools validation suite from Debian's source, which imports
// github.com/mndrix/tap-go. Debian 12 does not package that library, so the runner
// places this file at that import path. It provides the calls the suite makes: New,
// Header, Ok, Pass, Fail, Skip, Todo, Count, AutoPlan, Diagnostic, Diagnosticf, YAML.
// Result lines follow TAP 13: "ok N - description", "not ok N - description",
// "ok N # SKIP reason", "not ok N # TODO description"; a '#' inside a description is
// escaped so that it is not read as a directive.
package tap

import (
	"fmt"
	"io"
	"os"
	"strings"

	yaml "gopkg.in/yaml.v2"
)

// counter is shared by a stream and the TODO views made from it.
type counter struct{ last int }

// T is one TAP stream.
type T struct {
	Writer io.Writer // where lines go; nil means stdout
	TODO   bool      // results of this view carry the TODO directive
	c      *counter
}

// New returns a stream writing to stdout.
func New() *T { return &T{Writer: os.Stdout, c: &counter{}} }

func (t *T) out() io.Writer {
	if t.Writer != nil {
		return t.Writer
	}
	return os.Stdout
}

func (t *T) counter() *counter {
	if t.c == nil {
		t.c = &counter{}
	}
	return t.c
}

func (t *T) line(format string, args ...interface{}) {
	fmt.Fprintf(t.out(), format+"\n", args...)
}

// Header writes the version line and, for a known number of tests, the plan.
func (t *T) Header(tests int) {
	t.line("TAP version 13")
	if tests > 0 {
		t.line("1..%d", tests)
	}
}

// Ok writes one result.
func (t *T) Ok(passed bool, description string) {
	n := t.counter()
	n.last++
	status := "not ok"
	if passed {
		status = "ok"
	}
	description = strings.Replace(description, "#", `\#`, -1)
	if t.TODO {
		t.line("%s %d # TODO %s", status, n.last, description)
		return
	}
	t.line("%s %d - %s", status, n.last, description)
}

// Pass writes a passing result.
func (t *T) Pass(description string) { t.Ok(true, description) }

// Fail writes a failing result.
func (t *T) Fail(description string) { t.Ok(false, description) }

// Todo returns a view of the stream (same numbering) whose results are TODO.
func (t *T) Todo() *T {
	return &T{Writer: t.Writer, TODO: true, c: t.counter()}
}

// Skip writes count skipped results with the same reason.
func (t *T) Skip(count int, reason string) {
	n := t.counter()
	for i := 0; i < count; i++ {
		n.last++
		t.line("ok %d # SKIP %s", n.last, reason)
	}
}

// Count is the number of results written so far.
func (t *T) Count() int { return t.counter().last }

// AutoPlan writes the plan after the results.
func (t *T) AutoPlan() { t.line("1..%d", t.Count()) }

// Diagnostic writes a comment, one "# " line per line of message.
func (t *T) Diagnostic(message string) {
	for _, l := range strings.Split(message, "\n") {
		t.line("# %s", l)
	}
}

// Diagnosticf is Diagnostic with a format.
func (t *T) Diagnosticf(format string, args ...interface{}) {
	t.Diagnostic(fmt.Sprintf(format, args...))
}

// YAML writes message as an indented YAML block ("  ---" ... "  ...").
func (t *T) YAML(message interface{}) error {
	doc, err := yaml.Marshal(message)
	if err != nil {
		return err
	}
	t.line("  ---")
	for _, l := range strings.Split(strings.TrimSuffix(string(doc), "\n"), "\n") {
		t.line("  %s", l)
	}
	t.line("  ...")
	return nil
}
