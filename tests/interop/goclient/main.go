// Command goclient reads and writes the sentinel-requests table exactly as the Go sentinel
// service does (aws-sdk-go-v2, attributevalue, RFC3339Nano times, the same conditions), so the
// Python tests in tests/interop can prove both sides decide each other's requests.
//
// Usage (ID may come before or after the flags):
//
//	goclient get ID
//	goclient create --requester R --profile P --justification J --duration 1h [--created-at T] [--id ID]
//	goclient approve ID --approver A [--comment C] [--pause]
//	goclient deny ID --approver A [--comment C] [--pause]
//	goclient cancel ID [--pause]
//	goclient touch ID [--pause]
//
// Every command takes --endpoint (default $GOCLIENT_ENDPOINT) and --table (default
// sentinel-requests), uses dummy credentials and region us-east-1, and prints one JSON object
// on stdout. With --pause a decision prints {"read": ...} after its read, then waits for a line
// on stdin before it writes: the caller can change the item in between to make the read stale.
// touch writes the item back through Store.Update with only updated_at changed: the service's
// optimistic lock alone, which its store applies to an item in any status.
//
// Exit codes: 0 ok, 1 other error, 2 usage, 3 ErrConcurrentModification, 4 ErrRequestNotFound,
// 5 ErrRequestExists, 6 validation error, 7 not pending. Errors print {"error": KIND, ...}.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
	_ "time/tzdata" // TZ=Area/City works even on a machine without zoneinfo files

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

const (
	exitOther         = 1
	exitUsage         = 2
	exitConcurrent    = 3
	exitNotFound      = 4
	exitExists        = 5
	exitValidation    = 6
	exitInvalidStatus = 7
)

// errNotPending is returned when a decision is asked for a request that is not pending.
var errNotPending = errors.New("request is not pending")

type cliError struct {
	kind    string
	code    int
	message string
	extra   map[string]interface{}
}

func (e *cliError) Error() string { return e.message }

func usage(format string, args ...interface{}) *cliError {
	return &cliError{kind: "usage", code: exitUsage, message: fmt.Sprintf(format, args...)}
}

// classify maps an error to the JSON kind and exit code the tests assert on.
func classify(err error, extra map[string]interface{}) *cliError {
	var ce *cliError
	if errors.As(err, &ce) {
		return ce
	}
	kinds := []struct {
		target error
		kind   string
		code   int
	}{
		{ErrConcurrentModification, "concurrent_modification", exitConcurrent},
		{ErrRequestNotFound, "not_found", exitNotFound},
		{ErrRequestExists, "exists", exitExists},
		{ErrValidation, "validation", exitValidation},
		{errNotPending, "invalid_state", exitInvalidStatus},
	}
	for _, k := range kinds {
		if errors.Is(err, k.target) {
			return &cliError{kind: k.kind, code: k.code, message: err.Error(), extra: extra}
		}
	}
	return &cliError{kind: "other", code: exitOther, message: err.Error(), extra: extra}
}

func main() {
	out, err := run(os.Args[1:], os.Stdin, os.Stdout)
	if err != nil {
		ce := classify(err, nil)
		doc := map[string]interface{}{"error": ce.kind, "message": ce.message}
		for k, v := range ce.extra {
			doc[k] = v
		}
		writeJSON(os.Stdout, doc)
		os.Exit(ce.code)
	}
	writeJSON(os.Stdout, out)
}

func writeJSON(w io.Writer, v interface{}) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, "encode output:", err)
		os.Exit(exitOther)
	}
}

// splitID takes a leading positional ID off args so that flags may follow it.
func splitID(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

type common struct {
	endpoint string
	table    string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.endpoint, "endpoint", os.Getenv("GOCLIENT_ENDPOINT"), "DynamoDB endpoint URL")
	fs.StringVar(&c.table, "table", "sentinel-requests", "table name")
}

func (c *common) store() (*Store, error) {
	if c.endpoint == "" {
		return nil, usage("--endpoint (or GOCLIENT_ENDPOINT) is required")
	}
	// No shared config or credentials file is read. The retryer is the SDK's standard one plus
	// what current SDK releases also retry by default: net.ErrClosed, a connection the transport
	// closed under a response it was reading (aws/aws-sdk-go-v2#2737; Debian's 1.17 predates it).
	// The moto server closes every connection after its answer, which makes this happen here.
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Retryables = append(o.Retryables, retry.IsErrorRetryableFunc(retryClosed))
			})
		},
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.EndpointResolver = dynamodb.EndpointResolverFromURL(c.endpoint)
	})
	return &Store{client: client, tableName: c.table}, nil
}

// read parses args (a leading request ID, then c's flags and the command's own), opens c's
// store and reads the request with that ID.
func (c *common) read(
	ctx context.Context, fs *flag.FlagSet, args []string,
) (*Store, *Request, *dynamoItem, error) {
	id, rest := splitID(args)
	if err := fs.Parse(rest); err != nil {
		return nil, nil, nil, usage("%v", err)
	}
	s, err := c.store()
	if err != nil {
		return nil, nil, nil, err
	}
	r, item, err := s.Get(ctx, id)
	return s, r, item, err
}

func retryClosed(err error) aws.Ternary {
	if errors.Is(err, net.ErrClosed) {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}

func run(args []string, stdin io.Reader, stdout io.Writer) (interface{}, error) {
	if len(args) == 0 {
		return nil, usage("a command is required: get, create, approve, deny, cancel, touch")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	command, rest := args[0], args[1:]
	switch command {
	case "get":
		return runGet(ctx, rest)
	case "create":
		return runCreate(ctx, rest)
	case "approve", "deny", "cancel", "touch":
		return runDecide(ctx, command, rest, stdin, stdout)
	}
	return nil, usage("unknown command %q", command)
}

func runGet(ctx context.Context, args []string) (interface{}, error) {
	var c common
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	c.register(fs)
	_, r, item, err := c.read(ctx, fs, args)
	if err != nil {
		return nil, err
	}
	return map[string]interface{}{"request": describe(r), "item": item}, nil
}

func runCreate(ctx context.Context, args []string) (interface{}, error) {
	var c common
	var r Request
	var duration, createdAt string
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	c.register(fs)
	fs.StringVar(&r.ID, "id", "", "request id (default: a new random one)")
	fs.StringVar(&r.Requester, "requester", "", "requester")
	fs.StringVar(&r.Profile, "profile", "", "profile")
	fs.StringVar(&r.Justification, "justification", "", "justification")
	fs.StringVar(&duration, "duration", "1h", "Go duration")
	fs.StringVar(&createdAt, "created-at", "", "RFC3339Nano creation time (default: time.Now())")
	if err := fs.Parse(args); err != nil {
		return nil, usage("%v", err)
	}
	d, err := time.ParseDuration(duration)
	if err != nil {
		return nil, usage("--duration: %v", err)
	}
	r.Duration = d
	now := time.Now()
	if createdAt != "" {
		if now, err = time.Parse(time.RFC3339Nano, createdAt); err != nil {
			return nil, usage("--created-at: %v", err)
		}
	}
	if r.ID == "" {
		if r.ID, err = NewRequestID(); err != nil {
			return nil, err
		}
	}
	r.Status = StatusPending
	r.CreatedAt, r.UpdatedAt, r.ExpiresAt = now, now, now.Add(DefaultRequestTTL)
	if err := r.Validate(); err != nil {
		return nil, err
	}
	s, err := c.store()
	if err != nil {
		return nil, err
	}
	if err := s.Create(ctx, &r); err != nil {
		return nil, err
	}
	return map[string]interface{}{"request": describe(&r), "item": requestToItem(&r)}, nil
}

func runDecide(
	ctx context.Context, command string, args []string, stdin io.Reader, stdout io.Writer,
) (interface{}, error) {
	var c common
	var approver, comment string
	var pause bool
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	c.register(fs)
	fs.StringVar(&approver, "approver", "", "approver (approve, deny)")
	fs.StringVar(&comment, "comment", "", "approver comment (approve, deny)")
	fs.BoolVar(&pause, "pause", false, `print {"read": ...} and wait for a stdin line before writing`)
	s, r, _, err := c.read(ctx, fs, args)
	if err != nil {
		return nil, err
	}
	if pause {
		writeJSON(stdout, map[string]interface{}{"read": describe(r)})
		if _, err := bufio.NewReader(stdin).ReadString('\n'); err != nil && err != io.EOF {
			return nil, err
		}
	}
	if command != "touch" && r.Status != StatusPending {
		return nil, fmt.Errorf("%s is %s: %w", r.ID, r.Status, errNotPending)
	}
	readUpdatedAt := r.UpdatedAt
	switch command {
	case "approve":
		r.Status, r.Approver, r.ApproverComment = StatusApproved, approver, comment
	case "deny":
		r.Status, r.Approver, r.ApproverComment = StatusDenied, approver, comment
	case "cancel":
		r.Status = StatusCancelled
	}
	r.UpdatedAt = time.Now()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	token, err := s.Update(ctx, r, readUpdatedAt)
	if err != nil {
		return nil, classify(err, map[string]interface{}{"old_updated_at": token})
	}
	return map[string]interface{}{
		"request":        describe(r),
		"item":           requestToItem(r),
		"old_updated_at": token,
	}, nil
}

// describe is a request as Go holds it: times re-formatted with RFC3339Nano (what Go writes
// and what its lock compares) and as Unix nanoseconds, the duration in nanoseconds.
func describe(r *Request) map[string]interface{} {
	return map[string]interface{}{
		"id":                   r.ID,
		"requester":            r.Requester,
		"profile":              r.Profile,
		"justification":        r.Justification,
		"justification_bytes":  len(r.Justification),
		"duration_ns":          int64(r.Duration),
		"status":               string(r.Status),
		"created_at":           r.CreatedAt.Format(time.RFC3339Nano),
		"updated_at":           r.UpdatedAt.Format(time.RFC3339Nano),
		"expires_at":           r.ExpiresAt.Format(time.RFC3339Nano),
		"created_at_unix_nano": r.CreatedAt.UnixNano(),
		"updated_at_unix_nano": r.UpdatedAt.UnixNano(),
		"expires_at_unix_nano": r.ExpiresAt.UnixNano(),
		"ttl":                  r.ExpiresAt.Unix(),
		"approver":             r.Approver,
		"approver_comment":     r.ApproverComment,
		"validation_error":     validationMessage(r),
	}
}

func validationMessage(r *Request) string {
	if err := r.Validate(); err != nil {
		return err.Error()
	}
	return ""
}
