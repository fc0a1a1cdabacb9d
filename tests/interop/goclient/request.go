package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// RequestStatus is the lifecycle state of a request, stored as its string value.
type RequestStatus string

// The statuses the Go service knows.
const (
	StatusPending   RequestStatus = "pending"
	StatusApproved  RequestStatus = "approved"
	StatusDenied    RequestStatus = "denied"
	StatusExpired   RequestStatus = "expired"
	StatusCancelled RequestStatus = "cancelled"
)

// Limits the Go service's Validate applies.
const (
	MinJustificationLength = 10
	MaxJustificationLength = 500
	MaxDuration            = 8 * time.Hour
	DefaultRequestTTL      = 24 * time.Hour
)

// ErrValidation wraps every Validate failure.
var ErrValidation = errors.New("validation failed")

var requestIDPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// IsValid reports whether s is one of the known statuses.
func (s RequestStatus) IsValid() bool {
	switch s {
	case StatusPending, StatusApproved, StatusDenied, StatusExpired, StatusCancelled:
		return true
	}
	return false
}

// Request is the Go service's in-memory approval request.
type Request struct {
	ID              string
	Requester       string
	Profile         string
	Justification   string
	Duration        time.Duration
	Status          RequestStatus
	CreatedAt       time.Time
	UpdatedAt       time.Time
	ExpiresAt       time.Time
	Approver        string
	ApproverComment string
}

// NewRequestID returns 16 lowercase hex characters from crypto/rand.
func NewRequestID() (string, error) {
	buf := make([]byte, 8)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(buf), nil
}

// Validate checks the request as the Go service does; lengths are len(string), i.e. UTF-8 bytes.
func (r *Request) Validate() error {
	if !requestIDPattern.MatchString(r.ID) {
		return fmt.Errorf("%w: invalid id %q", ErrValidation, r.ID)
	}
	if r.Requester == "" {
		return fmt.Errorf("%w: requester is empty", ErrValidation)
	}
	if r.Profile == "" {
		return fmt.Errorf("%w: profile is empty", ErrValidation)
	}
	if n := len(r.Justification); n < MinJustificationLength || n > MaxJustificationLength {
		return fmt.Errorf("%w: justification is %d bytes, want %d..%d",
			ErrValidation, n, MinJustificationLength, MaxJustificationLength)
	}
	if r.Duration <= 0 || r.Duration > MaxDuration {
		return fmt.Errorf("%w: duration %s outside (0, %s]", ErrValidation, r.Duration, MaxDuration)
	}
	if !r.Status.IsValid() {
		return fmt.Errorf("%w: unknown status %q", ErrValidation, r.Status)
	}
	if r.CreatedAt.IsZero() || r.UpdatedAt.IsZero() || r.ExpiresAt.IsZero() {
		return fmt.Errorf("%w: a time is unset", ErrValidation)
	}
	return nil
}
