package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The store's error kinds, as the Go service names them.
var (
	ErrRequestNotFound        = errors.New("request not found")
	ErrRequestExists          = errors.New("request already exists")
	ErrConcurrentModification = errors.New("concurrent modification")
)

// dynamoItem is the item layout on the table: the Go service's attribute names and types.
type dynamoItem struct {
	ID              string `dynamodbav:"id" json:"id"`
	Requester       string `dynamodbav:"requester" json:"requester"`
	Profile         string `dynamodbav:"profile" json:"profile"`
	Justification   string `dynamodbav:"justification" json:"justification"`
	Duration        int64  `dynamodbav:"duration" json:"duration"` // time.Duration nanoseconds
	Status          string `dynamodbav:"status" json:"status"`
	CreatedAt       string `dynamodbav:"created_at" json:"created_at"` // time.RFC3339Nano
	UpdatedAt       string `dynamodbav:"updated_at" json:"updated_at"`
	ExpiresAt       string `dynamodbav:"expires_at" json:"expires_at"`
	TTL             int64  `dynamodbav:"ttl" json:"ttl"` // ExpiresAt.Unix()
	Approver        string `dynamodbav:"approver" json:"approver"`
	ApproverComment string `dynamodbav:"approver_comment" json:"approver_comment"`
}

func requestToItem(r *Request) *dynamoItem {
	return &dynamoItem{
		ID:              r.ID,
		Requester:       r.Requester,
		Profile:         r.Profile,
		Justification:   r.Justification,
		Duration:        int64(r.Duration),
		Status:          string(r.Status),
		CreatedAt:       r.CreatedAt.Format(time.RFC3339Nano),
		UpdatedAt:       r.UpdatedAt.Format(time.RFC3339Nano),
		ExpiresAt:       r.ExpiresAt.Format(time.RFC3339Nano),
		TTL:             r.ExpiresAt.Unix(),
		Approver:        r.Approver,
		ApproverComment: r.ApproverComment,
	}
}

func itemToRequest(item *dynamoItem) (*Request, error) {
	createdAt, err := time.Parse(time.RFC3339Nano, item.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("parse created_at: %w", err)
	}
	updatedAt, err := time.Parse(time.RFC3339Nano, item.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("parse updated_at: %w", err)
	}
	expiresAt, err := time.Parse(time.RFC3339Nano, item.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("parse expires_at: %w", err)
	}
	return &Request{
		ID:              item.ID,
		Requester:       item.Requester,
		Profile:         item.Profile,
		Justification:   item.Justification,
		Duration:        time.Duration(item.Duration),
		Status:          RequestStatus(item.Status),
		CreatedAt:       createdAt,
		UpdatedAt:       updatedAt,
		ExpiresAt:       expiresAt,
		Approver:        item.Approver,
		ApproverComment: item.ApproverComment,
	}, nil
}

// Store reads and writes requests the way the Go service's DynamoDB store does.
type Store struct {
	client    *dynamodb.Client
	tableName string
}

// Create writes a new request; ErrRequestExists when the id is taken.
func (s *Store) Create(ctx context.Context, r *Request) error {
	av, err := attributevalue.MarshalMap(requestToItem(r))
	if err != nil {
		return fmt.Errorf("marshal request: %w", err)
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.tableName),
		Item:                av,
		ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if s.landed(ctx, r) {
			return nil
		}
		return fmt.Errorf("%s: %w", r.ID, ErrRequestExists)
	}
	return err
}

// Get reads one request; ErrRequestNotFound when absent. It also returns the raw item.
func (s *Store) Get(ctx context.Context, id string) (*Request, *dynamoItem, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.tableName),
		Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
	})
	if err != nil {
		return nil, nil, err
	}
	if out.Item == nil {
		return nil, nil, fmt.Errorf("%s: %w", id, ErrRequestNotFound)
	}
	var item dynamoItem
	if err := attributevalue.UnmarshalMap(out.Item, &item); err != nil {
		return nil, nil, fmt.Errorf("unmarshal request: %w", err)
	}
	r, err := itemToRequest(&item)
	return r, &item, err
}

// Update replaces the item under the Go service's optimistic lock: the stored updated_at must
// equal readUpdatedAt re-formatted with time.RFC3339Nano. It returns that condition value.
func (s *Store) Update(ctx context.Context, r *Request, readUpdatedAt time.Time) (string, error) {
	token := readUpdatedAt.Format(time.RFC3339Nano)
	av, err := attributevalue.MarshalMap(requestToItem(r))
	if err != nil {
		return token, fmt.Errorf("marshal request: %w", err)
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.tableName),
		Item:                av,
		ConditionExpression: aws.String("attribute_exists(id) AND updated_at = :old_updated_at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":old_updated_at": &types.AttributeValueMemberS{Value: token},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if _, _, getErr := s.Get(ctx, r.ID); errors.Is(getErr, ErrRequestNotFound) {
			return token, fmt.Errorf("%s: %w", r.ID, ErrRequestNotFound)
		}
		if s.landed(ctx, r) {
			return token, nil
		}
		return token, fmt.Errorf("%s: %w", r.ID, ErrConcurrentModification)
	}
	return token, err
}

// landed reports whether the stored item is exactly the one r writes. A refused condition can
// only mean that when the SDK retried a write whose first attempt was stored but whose answer
// was lost (see the retryer in main.go): the item then carries this write's own updated_at,
// which no other writer produces. A write the condition really refused is never stored, so
// this never hides a refused lock.
func (s *Store) landed(ctx context.Context, r *Request) bool {
	_, stored, err := s.Get(ctx, r.ID)
	return err == nil && *stored == *requestToItem(r)
}
